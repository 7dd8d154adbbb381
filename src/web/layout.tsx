import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Response } from 'express';
import { assetUrl, type ClientEntry } from './assets.js';
import { label, role as roleLabel } from './labels.js';

export const PRODUCT = '출금동의 ARS';

export type Viewer = { username: string; role: string; csrf: string };

/** The one layout: product name, the viewer's menu, the page's heading, the stylesheet and its module. */
export function Layout(props: { title: string; viewer?: Viewer | undefined; script?: ClientEntry; heading?: boolean; bodyClass?: string; children?: ComponentChildren }) {
  const { title, viewer, script } = props;
  const auditor = viewer && (viewer.role === 'auditor' || viewer.role === 'admin');
  const agent = viewer && (viewer.role === 'agent' || viewer.role === 'admin');
  return (
    <html lang="ko">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${PRODUCT}`}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('style.css')} />
        {viewer ? <meta name="csrf-token" content={viewer.csrf} /> : null}
        {script ? <script type="module" src={assetUrl(`${script}.js`)} /> : null}
      </head>
      <body class={props.bodyClass}>
        <header class="site">
          <a class="product" href={agent && !auditor ? '/agent' : auditor ? '/consents' : '/verify'}>
            {PRODUCT}
          </a>
          {viewer ? (
            <nav aria-label="메뉴">
              {auditor ? <a href="/consents">동의 검색</a> : null}
              {auditor ? <a href="/problems">처리되지 않은 동의</a> : null}
              {agent ? <a href="/agent">상담원 녹취</a> : null}
              {viewer.role === 'admin' ? <a href="/admin/users">사용자 관리</a> : null}
              <span>
                {viewer.username} ({label(roleLabel, viewer.role)})
              </span>
              <form method="post" action="/logout">
                <input type="hidden" name="csrf" value={viewer.csrf} />
                <button>로그아웃</button>
              </form>
            </nav>
          ) : null}
        </header>
        <main>
          {props.heading === false ? null : <h1>{title}</h1>}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** Renders a page component as a full HTML document (escaped by Preact). */
export function sendPage(res: Response, page: VNode, status = 200): void {
  res.status(status).type('html').send(`<!doctype html>${renderToString(page)}`);
}
