import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket, rawGet, SECRET_FILE_TEXT, startTestServer, TestClient, type ServerHarness } from '../support/server-harness.js';

let harness: ServerHarness;
let port: number;
let token: string;

beforeAll(async () => {
  harness = await startTestServer({ start: false });
  ({ port, token } = harness.server);
  symlinkSync(join(harness.root, 'secret.txt'), join(harness.staticDir, 'assets', 'leak.txt'));
});
afterAll(() => harness.cleanup());

describe('the server: loopback, token, origin', () => {
  it('prints a loopback URL with a 64-hex-digit token, and listens on 127.0.0.1 only', () => {
    expect(harness.server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(port).toBeGreaterThan(0);
  });

  it('refuses a request without the token with 401 and no data', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/api/health']) {
      const response = await rawGet(port, path);
      expect(response.status, path).toBe(401);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.body).not.toContain('<');
      expect(response.body).not.toContain('clutch")');
      expect(response.body.length).toBeLessThan(200);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('refuses a wrong token (query, cookie or header) with 401', async () => {
    const wrong = token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    expect((await rawGet(port, `/?token=${wrong}`)).status).toBe(401);
    expect((await rawGet(port, `/?token=${token.slice(0, 10)}`)).status).toBe(401);
    expect((await rawGet(port, '/', { Cookie: `clutch_token=${wrong}` })).status).toBe(401);
    expect((await rawGet(port, '/api/health', { 'x-clutch-token': wrong })).status).toBe(401);
  });

  it('refuses a foreign Host with 403, even with the right token (DNS rebinding)', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
      const response = await rawGet(port, `/?token=${token}`, { Host: host });
      expect(response.status, host).toBe(403);
      expect(response.body).not.toContain('<');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect((await rawGet(port, `/api/health?token=${token}`, { Host: `localhost:${port}` })).status).toBe(200);
    expect((await rawGet(port, `/api/health?token=${token}`, { Host: `[::1]:${port}` })).status).toBe(200);
  });

  it('serves index.html with the token in the query and sets the HttpOnly, SameSite=Strict cookie', async () => {
    const response = await rawGet(port, `/?token=${token}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toContain('<title>Clutch</title>');
    expect(response.headers['set-cookie']).toEqual([`clutch_token=${token}; Path=/; HttpOnly; SameSite=Strict`]);
  });

  it('lets the cookie alone carry the token: the page, its assets and its socket', async () => {
    const cookie = { Cookie: `other=1; clutch_token=${token}` };
    const page = await rawGet(port, '/', cookie);
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeUndefined();
    const script = await rawGet(port, '/assets/app.js', cookie);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log("clutch");\n');
    expect((await rawGet(port, '/assets/app.css', cookie)).headers['content-type']).toBe('text/css; charset=utf-8');
    const socket = await openSocket(port, { token: null, headers: cookie });
    expect(socket).toBeInstanceOf(TestClient);
    const client = socket as TestClient;
    await client.until(() => client.messages.length > 0, 'hello');
    expect(client.messages[0]).toMatchObject({ type: 'hello' });
    await client.close();
  });

  it('takes the token from the x-clutch-token header; /api/health answers {ok:true}', async () => {
    const response = await rawGet(port, '/api/health', { 'x-clutch-token': token });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
  });

  it('refuses path traversal, encoded or through a symlink, and never sends the file', async () => {
    const paths = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/assets/leak.txt',
      '/%00',
      '/%E0%A4%A',
    ];
    for (const path of paths) {
      const response = await rawGet(port, `${path}${path.includes('?') ? '&' : '?'}token=${token}`);
      expect([400, 403, 404], path).toContain(response.status);
      expect(response.body, path).not.toContain('top secret');
    }
    expect((await rawGet(port, `/..%2fsecret.txt?token=${token}`)).status).toBe(403);
    expect((await rawGet(port, `/assets/leak.txt?token=${token}`)).status).toBe(403);
    expect(SECRET_FILE_TEXT).toContain('top secret');
  });

  it('sends a Content-Security-Policy, COOP and CORP with every response, beside the headers it had', async () => {
    const responses = {
      page: await rawGet(port, `/?token=${token}`),
      asset: await rawGet(port, `/assets/app.js?token=${token}`),
      head: await rawGet(port, `/?token=${token}`, {}, 'HEAD'),
      health: await rawGet(port, `/api/health?token=${token}`),
      unauthorized: await rawGet(port, '/'),
      missing: await rawGet(port, `/nope.js?token=${token}`),
      traversal: await rawGet(port, `/..%2fsecret.txt?token=${token}`),
      method: await rawGet(port, `/?token=${token}`, {}, 'POST'),
      ws: await rawGet(port, `/ws?token=${token}`),
    };
    for (const [what, response] of Object.entries(responses)) {
      const policy = String(response.headers['content-security-policy']);
      const directives = new Map(policy.split(';').map((directive) => directive.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
      expect(directives.get('frame-ancestors'), what).toEqual(["'none'"]);
      expect(directives.get('default-src'), what).toEqual(["'self'"]);
      // No inline script, no eval: only the built app's own files run.
      expect(directives.get('script-src'), what).toEqual(["'self'"]);
      expect(directives.get('object-src'), what).toEqual(["'none'"]);
      expect(directives.get('base-uri'), what).toEqual(["'none'"]);
      // Its socket is this server's, under each loopback name the page may have ('self' for [::1]); no other port.
      expect(directives.get('connect-src'), what).toEqual(["'self'", `ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
      expect(response.headers['cross-origin-opener-policy'], what).toBe('same-origin');
      expect(response.headers['cross-origin-resource-policy'], what).toBe('same-origin');
      expect(response.headers['x-frame-options'], what).toBe('DENY');
      expect(response.headers['x-content-type-options'], what).toBe('nosniff');
      expect(response.headers['referrer-policy'], what).toBe('no-referrer');
    }
    expect(responses.page.status).toBe(200);
    expect(responses.unauthorized.status).toBe(401);
  });

  it('answers 404 for missing files, 405 for other methods, and HEAD without a body', async () => {
    expect((await rawGet(port, `/nope.js?token=${token}`)).status).toBe(404);
    expect((await rawGet(port, `/assets?token=${token}`)).status).toBe(404);
    expect((await rawGet(port, `/?token=${token}`, {}, 'POST')).status).toBe(405);
    const head = await rawGet(port, `/assets/app.js?token=${token}`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String('console.log("clutch");\n'.length));
  });
});

describe('the socket upgrade', () => {
  it('opens with the token and a same-origin Origin (127.0.0.1 or localhost)', async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const client = await openSocket(port, { origin }, token);
      expect(client, origin).toBeInstanceOf(TestClient);
      await (client as TestClient).close();
    }
  });

  it('is refused without a token (401) or with a wrong one', async () => {
    expect(await openSocket(port, { token: null })).toMatchObject({ status: 401 });
    expect(await openSocket(port, { token: 'f'.repeat(64) })).toMatchObject({ status: 401 });
  });

  it('is refused with a foreign Origin or none (403), even with the token', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, `https://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`, 'null']) {
      const refusal = await openSocket(port, { origin }, token);
      expect(refusal, origin).toMatchObject({ status: 403 });
      expect((refusal as { body: string }).body).not.toContain('hello');
    }
    expect(await openSocket(port, { origin: null }, token)).toMatchObject({ status: 403 });
  });

  it('is refused with a foreign Host (403) and on another path (404)', async () => {
    expect(await openSocket(port, { host: `evil.example:${port}` }, token)).toMatchObject({ status: 403 });
    expect(await openSocket(port, { path: '/socket' }, token)).toMatchObject({ status: 404 });
  });

  it('answers a plain GET of /ws with 426', async () => {
    expect((await rawGet(port, `/ws?token=${token}`)).status).toBe(426);
  });
});
