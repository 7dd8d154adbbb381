import { postSigned, runCall, type CallerInputs, type CallEvent, type CallResult, type ServiceTarget } from './callRunner.js';
import type { OutboundCall, StandIn } from './standIn.js';

/**
 * The far end of the calls the service places: for each, Twilio's progress callbacks (initiated,
 * ringing), then the payer picks up and answers as scripted, or the line is busy, nobody answers,
 * or the call fails; the final status goes to the call's StatusCallback, as Twilio sends it.
 */

export type PickUp =
  | { answer: 'answer'; inputs: CallerInputs; onEvent?: (e: CallEvent) => void }
  | { answer: 'busy' | 'no-answer' | 'failed' };

export type DialerOptions = ServiceTarget & {
  standIn: StandIn;
  /** What the phone at `call.to` does. */
  pickUp: (call: OutboundCall) => PickUp | Promise<PickUp>;
  onResult?: (call: OutboundCall, result: CallResult | undefined) => void;
};

export function answerOutboundCalls(opts: DialerOptions): void {
  opts.standIn.onOutboundCall = (call) => {
    void placeCall(opts, call).catch((err: Error) => console.error(`simulator: outbound call ${call.sid} failed: ${err.message}`));
  };
}

async function placeCall(opts: DialerOptions, call: OutboundCall): Promise<void> {
  const base = { AccountSid: opts.standIn.accountSid, CallSid: call.sid, From: call.from, To: call.to, Direction: 'outbound-api', ApiVersion: '2010-04-01' };
  const status = async (CallStatus: string, extra: Record<string, string> = {}) => {
    if (!call.statusCallback) return;
    const event = CallStatus === 'in-progress' ? 'answered' : CallStatus;
    const always = ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(CallStatus);
    if (always || call.statusCallbackEvent.includes(event)) await postSigned(opts, call.statusCallback, { ...base, CallStatus, ...extra });
  };
  await status('initiated');
  await status('ringing');
  const pickUp = await opts.pickUp(call);
  if (pickUp.answer !== 'answer') {
    await status(pickUp.answer, pickUp.answer === 'failed' ? { ErrorCode: '32009', SipResponseCode: '500' } : {});
    opts.onResult?.(call, undefined);
    return;
  }
  await status('in-progress');
  const result = await runCall({
    ...opts,
    from: call.from,
    to: call.to,
    inputs: pickUp.inputs,
    ...(pickUp.onEvent ? { onEvent: pickUp.onEvent } : {}),
    outbound: { callSid: call.sid, url: call.url, statusCallback: call.statusCallback },
  });
  opts.onResult?.(call, result);
}
