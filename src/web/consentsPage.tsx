import type { Consent } from '../consents/store.js';
import { maskAccountNumber } from '../shared/mask.js';
import { koreanDateTime } from './format.js';
import { consentStatus, heldFilter, label, method, registrationFilter } from './labels.js';
import { Layout, type Viewer } from './layout.js';

export type SearchValues = Record<string, string>;

function Field(props: { name: string; label: string; values: SearchValues; error?: string | undefined; type?: 'text' | 'date'; inputMode?: 'numeric' | 'tel'; placeholder?: string }) {
  const invalid = props.error !== undefined;
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        value={props.values[props.name] ?? ''}
        {...({ type: props.type ?? 'text' } as { type: 'text' })}
        inputMode={props.inputMode}
        placeholder={props.placeholder}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={invalid ? 'search-error' : undefined}
      />
    </label>
  );
}

function Choice(props: { name: string; label: string; options: Record<string, string>; values: SearchValues }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">전체</option>
        {Object.entries(props.options).map(([code, name]) => (
          <option value={code} selected={props.values[props.name] === code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The auditor's search: every filter validated; a bad one shows its Korean message and no results. */
export function ConsentsPage(props: { viewer: Viewer; values: SearchValues; rows: Consent[]; error?: { field?: string | undefined; message: string } | undefined }) {
  const { values, rows, error } = props;
  const err = (name: string) => (error && error.field === name ? error.message : undefined);
  return (
    <Layout title="출금동의 검색" viewer={props.viewer}>
      <form class="search" method="get" role="search" aria-label="출금동의 검색">
        <Field name="phone" label="전화번호" values={values} error={err('phone')} inputMode="tel" placeholder="010-1234-5678" />
        <Field name="name" label="예금주 이름 (일부)" values={values} error={err('name')} />
        <Field name="payerNumber" label="납부자번호 (앞부분)" values={values} error={err('payerNumber')} inputMode="numeric" />
        <Field name="accountLast" label="계좌 끝자리 (1~6자리)" values={values} error={err('accountLast')} inputMode="numeric" />
        <Field name="verificationNumber" label="확인번호" values={values} error={err('verificationNumber')} inputMode="numeric" />
        <label>
          방법
          <select name="methodCode">
            <option value="">전체</option>
            {Object.entries(method).map(([code, name]) => (
              <option value={code} selected={values.methodCode === code}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          상태
          <select name="status">
            <option value="">전체</option>
            {Object.entries(consentStatus).map(([code, name]) => (
              <option value={code} selected={values.status === code}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <Choice name="held" label="보존 조치" options={heldFilter} values={values} />
        <Choice name="registration" label="등록 결과" options={registrationFilter} values={values} />
        <Field name="from" label="시작일" values={values} error={err('from')} type="date" />
        <Field name="to" label="종료일" values={values} error={err('to')} type="date" />
        <button class="primary">검색</button>
      </form>
      {error ? (
        <p id="search-error" role="alert" class="alert">
          {error.message}
        </p>
      ) : (
        <p role="status" aria-live="polite">
          {rows.length}건
        </p>
      )}
      {error ? null : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">동의 일시</th>
                <th scope="col">납부자번호</th>
                <th scope="col">예금주</th>
                <th scope="col">계좌</th>
                <th scope="col">방법</th>
                <th scope="col">상태</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td data-label="동의 일시">
                    <a href={`/consents/${r.id}`}>{koreanDateTime(r.consentedAt)}</a>
                  </td>
                  <td data-label="납부자번호">{r.payerNumber}</td>
                  <td data-label="예금주">{r.holderName}</td>
                  <td data-label="계좌">
                    {r.bankCode} {maskAccountNumber(r.accountNumber)}
                  </td>
                  <td data-label="방법">{label(method, r.methodCode)}</td>
                  <td data-label="상태" class={r.status === 'evidence_failed' ? 'bad' : undefined}>
                    {label(consentStatus, r.status)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
