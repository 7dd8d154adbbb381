import type { ConsentProblem } from '../recordings/consentSourcesStore.js';
import { koreanDateTime } from './format.js';
import { Layout, type Viewer } from './layout.js';

const STAGE: Record<string, string> = {
  'waiting-for-recording': '녹음 대기',
  processing: '처리 중',
  failed: '처리 실패',
  'evidence-failed': '증거 검사 실패',
  'recording-missing': '녹음 없음',
};

/** Consents given without a ready consent record, for auditors and admins. */
export function ProblemsPage(props: { viewer: Viewer; problems: ConsentProblem[] }) {
  const { problems } = props;
  return (
    <Layout title="처리되지 않은 동의" viewer={props.viewer}>
      {problems.length === 0 ? (
        <p class="ok">처리되지 않은 동의가 없습니다.</p>
      ) : (
        <>
          <p>동의했지만 준비된 동의 기록이 없는 통화 {problems.length}건입니다.</p>
          <div class="table-wrap">
            <table class="responsive">
              <thead>
                <tr>
                  <th scope="col">시각</th>
                  <th scope="col">방식</th>
                  <th scope="col">통화</th>
                  <th scope="col">단계</th>
                  <th scope="col">사유</th>
                  <th scope="col">기록</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p) => (
                  <tr key={`${p.callSid}-${p.agentConsentId ?? ''}-${p.recordingSid ?? ''}`}>
                    <td data-label="시각">{koreanDateTime(p.since)}</td>
                    <td data-label="방식">{p.kind === 'agent' ? '상담원 녹취' : 'ARS'}</td>
                    <td data-label="통화">{p.callSid}</td>
                    <td class="bad" data-label="단계">{STAGE[p.stage] ?? p.stage}</td>
                    <td data-label="사유">{p.reason ?? ''}</td>
                    <td>{p.consentId ? <a href={`/consents/${p.consentId}`}>동의 기록</a> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Layout>
  );
}
