/** The consent page: "지금 검증" and the access log's replay, recorded when playback starts (not on preload). */
import { api, csrfToken } from './api.js';

const verify = document.getElementById('verify') as HTMLButtonElement | null;
const result = document.getElementById('verify-result');
if (verify && result) {
  verify.addEventListener('click', async () => {
    result.textContent = '검증 중…';
    result.className = '';
    try {
      const j = await api<{ result: string }>('POST', `/api/consents/${verify.dataset.consentId}/verify`);
      result.textContent = j.result === 'intact' ? '원본과 같습니다' : j.result === 'altered' ? '파일이 변경되었습니다' : '파일이 없습니다';
      result.className = j.result === 'intact' ? 'ok' : 'bad';
    } catch (e) {
      result.textContent = (e as Error).message;
      result.className = 'bad';
    }
  });
}

const player = document.getElementById('player') as HTMLAudioElement | null;
if (player) {
  let logged = false;
  player.addEventListener('play', () => {
    if (logged) return;
    logged = true;
    void fetch(`/api/consents/${player.dataset.consentId}/replay`, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken() } });
  });
}
