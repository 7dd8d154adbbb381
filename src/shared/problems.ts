import type { z } from 'zod';

/** The first problem of a zod validation, as the API and the CLIs report it: a field and a reason. */
export function firstProblem(error: z.ZodError): { field: string; reason: string } {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return { field: issue.keys.join(','), reason: 'is not a known field' };
  const field = issue.path.join('.') || '(body)';
  const reason = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return { field, reason };
}
