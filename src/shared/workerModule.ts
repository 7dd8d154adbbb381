/**
 * A worker thread's module next to the calling one: `name.ts` loaded through tsx when the service
 * runs from its sources (npm start, tests, benchmarks), `name.js` with no loader when it runs from
 * the build in dist/ (the production image, where tsx is not installed).
 */
export function workerModule(name: string, callerUrl: string, loadTypeScript = true): { url: URL; execArgv: string[] } {
  const fromSources = new URL(callerUrl).pathname.endsWith('.ts');
  return {
    url: new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, callerUrl),
    execArgv: fromSources && loadTypeScript ? ['--import', 'tsx'] : [],
  };
}
