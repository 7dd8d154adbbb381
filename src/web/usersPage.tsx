import { Layout, type Viewer } from './layout.js';

/** The admin's user management; its module (client/users.tsx) works through /api/users and /api/tokens. */
export function UsersPage(props: { viewer: Viewer }) {
  return (
    <Layout title="사용자 관리" viewer={props.viewer} script="users">
      <div id="users-app" data-username={props.viewer.username}>
        <p>불러오는 중…</p>
      </div>
    </Layout>
  );
}
