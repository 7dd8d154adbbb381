import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAccount, findInstitution, INSTITUTIONS_TSV, spokenInstitutionName } from '../src/kftc/institutions.js';
import { isValidBirthDate, isValidBusinessNumber, organizationCodeProblem } from '../src/kftc/rules.js';
import { initialState, runTurn, type CallState, type Input } from '../src/scenario/engine.js';
import { loadScenarios } from '../src/scenario/loader.js';
import { spokenDate, spokenDigits } from '../src/scenario/speech.js';
import { classifySpeech } from '../src/shared/spokenAnswers.js';

const scenario = loadScenarios(path.resolve('scenarios')).forCalledNumber(undefined);
const payer = { payerNumber: '1', name: '홍길동', birthDate: '19940424', phone: '+821012345678' };
const ctx = { newSmsCode: '12345678', callSid: `CA${'1'.repeat(32)}` };

function play(inputs: Input[]): { state: CallState; said: string[][] } {
  let state = initialState(scenario);
  const said: string[][] = [];
  for (const input of inputs) {
    const r = runTurn(scenario, state, input, ctx);
    state = r.state;
    said.push(r.actions.flatMap((a) => (a.kind === 'say' ? [a.text] : a.kind === 'gather' ? a.say : [])));
  }
  return { state, said };
}
const key = (digits: string): Input => ({ kind: 'gather', digits });

describe('the engine (pure)', () => {
  it('runs the guideline script to a key consent', () => {
    const { state, said } = play([{ kind: 'start', payersByPhone: [payer] }, key('2'), key('19940424'), key('08175023332200333'), key('1')]);
    expect(state.outcome).toEqual({ kind: 'consented', by: 'key', key: '1' });
    expect(said[3]!.join(' ')).toContain('1994년 4월 24일생 홍길동 고객님께서는 한빛에너지의 요금납부정보를 하나은행 칠 오 공');
    expect(said[4]![0]).toBe('1번을 선택하셨습니다. 입력하신 계좌로 등록이 완료되었습니다.');
  });

  it('reads a company payer back with its business number', () => {
    const company = { ...payer, businessNumber: '2208162517' };
    const { said } = play([{ kind: 'start', payersByPhone: [company] }, key('2'), key('19940424'), key('0041234567890')]);
    expect(said[3]!.join(' ')).toContain('사업자등록번호 이 이 공 팔 일 육 이 오 일 칠 홍길동');
  });

  it('reads a legacy bank code back as today\'s institution and keeps the code entered', () => {
    const { state, said } = play([{ kind: 'start', payersByPhone: [payer] }, key('2'), key('19940424'), key('00575023332200333')]);
    expect(state.account).toEqual({ bankCode: '005', bankName: '하나은행', accountNumber: '75023332200333' });
    expect(said[3]!.join(' ')).toContain('하나은행');
  });

  it('several payers on one phone: asks for the payer number', () => {
    const { state } = play([{ kind: 'start', payersByPhone: [payer, { ...payer, payerNumber: '2' }] }, key('2')]);
    expect(state.step).toBe('payerNumber');
  });

  it('classifies spoken answers', () => {
    for (const yes of ['예', '네', '네.', '예 맞습니다', '맞습니다', '동의합니다']) expect(classifySpeech(yes), yes).toBe('yes');
    for (const no of ['아니오', '아니요', '아니요.', '아닙니다', '동의하지 않습니다']) expect(classifySpeech(no), no).toBe('no');
    for (const unclear of ['', '글쎄요', '예 아니오', '예금주입니다']) expect(classifySpeech(unclear), unclear).toBe('unclear');
  });
});

describe('KFTC rules', () => {
  it('the institution table is a verbatim copy of shared/data', () => {
    const shared = path.resolve('../shared/data/kftc-institution-codes.tsv');
    if (existsSync(shared)) expect(readFileSync(INSTITUTIONS_TSV, 'utf8')).toBe(readFileSync(shared, 'utf8'));
    expect(findInstitution('081')?.accountLengths).toEqual([11, 12, 14]);
    expect(spokenInstitutionName(findInstitution('005')!)).toBe('하나은행');
  });

  it('checks bank code and account length', () => {
    expect(checkAccount('081', '75023332200333')).toMatchObject({ ok: true, bankName: '하나은행' });
    expect(checkAccount('999', '75023332200333')).toEqual({ ok: false, reason: 'unknownBank' });
    expect(checkAccount('081', '7502333220')).toEqual({ ok: false, reason: 'accountLength' });
    expect(checkAccount('081', '750233322003331')).toEqual({ ok: false, reason: 'accountLength' });
    expect(checkAccount('08a', '123')).toEqual({ ok: false, reason: 'format' });
    expect(checkAccount('001', '1234567')).toMatchObject({ ok: true }); // no lengths known
  });

  it('organisation codes, birthdates and business numbers', () => {
    expect(organizationCodeProblem('cms', '9912345678')).toBeUndefined();
    expect(organizationCodeProblem('cms', '991234567')).toBeDefined();
    expect(organizationCodeProblem('giro', '1234567')).toBeUndefined();
    expect(organizationCodeProblem('firmBanking', 'ABC_1')).toBeDefined();
    expect(isValidBirthDate('20000229')).toBe(true);
    expect(isValidBirthDate('19000229')).toBe(false);
    expect(isValidBirthDate('21000101')).toBe(false);
    expect(isValidBusinessNumber('2208162517')).toBe(true);
    expect(isValidBusinessNumber('2208162518')).toBe(false);
  });

  it('speaks digits and dates as the guideline does', () => {
    expect(spokenDigits('081')).toBe('공 팔 일');
    expect(spokenDate('19940424')).toBe('1994년 4월 24일');
    expect(spokenDate('20010105')).toBe('2001년 1월 5일');
  });
});
