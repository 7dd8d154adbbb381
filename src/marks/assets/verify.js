// The /verify page: looks a verification number up, shows the record and its time mark, and
// compares a dropped MP3 by its SHA-256, computed here with Web Crypto (the file is not uploaded).
'use strict';
(function () {
  var record = null;
  var $ = function (id) { return document.getElementById(id); };

  function list(rows) {
    var dl = document.createElement('dl');
    rows.forEach(function (r) {
      var dt = document.createElement('dt'); dt.textContent = r[0];
      var dd = document.createElement('dd'); dd.textContent = r[1];
      if (r[2]) dd.className = r[2];
      dl.append(dt, dd);
    });
    return dl;
  }

  function markPayload(mark) {
    try {
      var b64 = mark.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var bytes = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) { return null; }
  }

  async function lookup(number) {
    var out = $('out');
    $('result').hidden = false;
    $('file-check').hidden = true;
    record = null;
    out.textContent = '확인 중…';
    var r = await fetch('/api/verify/' + encodeURIComponent(number));
    var j = await r.json().catch(function () { return {}; });
    if (r.status === 429) { out.textContent = '요청이 너무 많습니다. 1분 뒤에 다시 시도해 주세요.'; return; }
    if (!r.ok) { out.textContent = j.message || j.reason || '확인할 수 없습니다.'; return; }
    if (!j.valid) { out.textContent = '이 번호로 등록된 출금동의가 없습니다.'; return; }
    var payload = j.timeMark ? markPayload(j.timeMark) : null;
    var rows = [
      ['결과', '등록된 출금동의입니다', 'ok'],
      ['기관', j.organization],
      ['방법', j.methodCode === 5 ? 'ARS' : '녹취'],
      ['동의 일시', j.consentedAt]
    ];
    if (!j.timeMark) rows.push(['진본마크', '없음 (이 기록에는 아직 서명된 시점 확인이 없습니다)', 'bad']);
    else {
      rows.push(['진본마크', j.timeMarkValid ? '유효한 서명' : '서명이 맞지 않습니다', j.timeMarkValid ? 'ok' : 'bad']);
      if (payload) rows.push(['진본마크의 동의 일시', payload.consentedAt], ['진본마크 서명 일시', payload.issuedAt]);
      rows.push(['서명 키 ID', j.keyId || '']);
    }
    rows.push(['파일 SHA-256', j.sha256]);
    out.replaceChildren(list(rows));
    record = { sha256: j.sha256, markSha256: payload && j.timeMarkValid ? payload.sha256 : null };
    $('file-check').hidden = false;
  }

  async function checkFile(file) {
    var out = $('file-out');
    if (!record) return;
    if (!window.crypto || !crypto.subtle) { out.textContent = '이 브라우저에서는 파일 대조를 할 수 없습니다 (Web Crypto 없음).'; return; }
    out.textContent = '계산 중…';
    var digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    var hex = Array.from(new Uint8Array(digest), function (b) { return b.toString(16).padStart(2, '0'); }).join('');
    var same = hex === record.sha256 && (record.markSha256 === null || hex === record.markSha256);
    out.replaceChildren(list([
      ['파일', file.name + ' (' + file.size + ' bytes)'],
      ['이 파일의 SHA-256', hex],
      ['대조 결과', same ? '일치: 기록된 녹음 파일과 같습니다' : '불일치: 기록된 녹음 파일과 다릅니다', same ? 'ok' : 'bad']
    ]));
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('lookup').addEventListener('submit', function (e) {
      e.preventDefault();
      var number = $('number').value.trim();
      history.replaceState(null, '', '/verify?number=' + encodeURIComponent(number));
      lookup(number);
    });
    var drop = $('drop');
    drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
    drop.addEventListener('drop', function (e) {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer.files[0]) checkFile(e.dataTransfer.files[0]);
    });
    $('file').addEventListener('change', function () { if (this.files[0]) checkFile(this.files[0]); });
    if ($('number').value) lookup($('number').value.trim());
  });
})();
