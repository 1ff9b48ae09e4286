import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, REDACTED, redact, secretsOf } from '../../src/protocol/redact.js';
import { redactKey } from '../../src/models/anthropic.js';

const KEY = 'sk-ant-api03-clutch-test-key-do-not-leak-4242';
const TOKEN = 'ghp_R2d2C3poBB8Yoda0123456789abcdefXYZ';
const secrets = [KEY, TOKEN];

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

/** The redacted text keeps no run of 12 characters of the secret's plain, base64 or hex forms. */
function leaks(text: string, secret: string): boolean {
  const forms = [secret, b64(secret), hex(secret), secret.replace(/[^A-Za-z0-9]/g, '')];
  return forms.some((form) => {
    for (let i = 0; i + 12 <= form.length; i++) if (text.includes(form.slice(i, i + 12))) return true;
    return false;
  });
}

function expectRedacted(text: string, secret = KEY): string {
  const out = redact(text, secrets);
  expect(out).toContain(REDACTED);
  expect(leaks(out, secret)).toBe(false);
  return out;
}

describe('redact: the plain secret', () => {
  it('replaces every occurrence, keeping the text around it', () => {
    expect(redact(`key=${KEY}; again ${KEY}.`, secrets)).toBe(`key=${REDACTED}; again ${REDACTED}.`);
    expect(redact(`${TOKEN}`, secrets)).toBe(REDACTED);
  });

  it('leaves text without a secret alone (the same string)', () => {
    const text = 'nothing to see here';
    expect(redact(text, secrets)).toBe(text);
    expect(redact('', secrets)).toBe('');
    expect(redact(KEY, [])).toBe(KEY);
  });
});

describe('redact: base64', () => {
  it('catches the secret at each of the three alignments inside a longer base64 stream', () => {
    for (const lead of ['', 'a', 'ab', 'abc', 'prefix text: ']) {
      for (const tail of ['', 'z', 'zz', '\n', ' and more after it']) {
        const encoded = b64(`${lead}${KEY}${tail}`);
        const out = expectRedacted(encoded);
        expect(out.length).toBeLessThan(encoded.length);
      }
    }
  });

  it('catches URL-safe base64 and base64 wrapped at 76 and 64 columns', () => {
    expectRedacted(b64url(`x${KEY}`));
    expectRedacted(b64url(`xy${KEY}`));
    const long = `${'lorem ipsum '.repeat(5)}${KEY}${' dolor sit amet'.repeat(5)}`;
    expectRedacted(b64(long).replace(/.{76}/g, '$&\n'));
    expectRedacted(b64(long).replace(/.{64}/g, '$&\r\n'));
  });

  it('catches base64 inside JSON (escaped slashes and line breaks)', () => {
    const encoded = b64(`?>${KEY}`).replace(/.{20}/g, '$&\n');
    const json = JSON.stringify({ out: encoded }).replaceAll('/', '\\/');
    const out = expectRedacted(json);
    expect(() => JSON.parse(out)).not.toThrow();
  });
});

describe('redact: hex', () => {
  it('catches lower, upper and mixed case, and bytes separated by spaces, colons or \\x', () => {
    expectRedacted(hex(KEY));
    expectRedacted(hex(KEY).toUpperCase());
    expectRedacted(`0x${hex(`a${KEY}b`)}`);
    const pairs = hex(KEY).match(/../g)!;
    expectRedacted(pairs.join(' '));
    expectRedacted(pairs.join(':').toUpperCase());
    expectRedacted(pairs.map((pair) => `\\x${pair}`).join(''));
  });
});

describe('redact: URL-encoded', () => {
  it('catches encodeURIComponent, every byte encoded (lower and upper case hex) and + for a space', () => {
    const spaced = 'pass word with spaces 123';
    expect(redact(`q=${encodeURIComponent(KEY)}&x=1`, secrets)).toBe(`q=${REDACTED}&x=1`);
    const every = [...Buffer.from(KEY)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
    expectRedacted(every);
    expectRedacted(every.toUpperCase());
    expect(redact(`p=${encodeURIComponent(spaced).replaceAll('%20', '+')}`, [spaced])).toBe(`p=${REDACTED}`);
    const symbols = 'p@ss/w0rd?&=#%:';
    expect(redact(encodeURIComponent(symbols), [symbols])).toBe(REDACTED);
    expect(redact(encodeURIComponent(symbols).toLowerCase(), [symbols])).toBe(REDACTED);
  });
});

describe('redact: JSON-escaped', () => {
  const tricky = 'pa"ss\\wo/rd\n<é>';

  it('catches a secret with quotes, backslashes, slashes and a newline once or twice JSON-escaped, and keeps the JSON valid', () => {
    const once = JSON.stringify({ text: `before ${tricky} after` });
    const outOnce = redact(once, [tricky]);
    expect(JSON.parse(outOnce)).toEqual({ text: `before ${REDACTED} after` });
    const twice = JSON.stringify({ wrapped: once });
    const outTwice = redact(twice, [tricky]);
    expect(JSON.parse(JSON.parse(outTwice).wrapped)).toEqual({ text: `before ${REDACTED} after` });
  });

  it('catches \\u escapes (as Go and others write <, > and &)', () => {
    const goStyle = JSON.stringify(tricky).replace('<', '\\u003c').replace('>', '\\u003E');
    expect(redact(goStyle, [tricky])).toBe(`"${REDACTED}"`);
  });

  it('keeps the JSON valid when a match would start inside an escape', () => {
    const secret = 'nopqrstuvwxyz123';
    const json = JSON.stringify({ a: `line\n${secret.slice(1)} and ${secret}` });
    const out = redact(json, [secret]);
    expect(() => JSON.parse(out)).not.toThrow();
    expect(JSON.parse(out).a).toContain(REDACTED);
    const hexSecret = 'hexhexhexhex';
    const escaped = `{"a":"\\u00${hex(hexSecret)}"}`;
    expect(() => JSON.parse(redact(escaped, [hexSecret]))).not.toThrow();
  });

  it('keeps the JSON valid for a secret that ends in a backslash', () => {
    const secret = 'endswith\\';
    const json = JSON.stringify({ a: 'endswith"quoted' });
    expect(() => JSON.parse(redact(json.replace('endswith"', 'endswith\\"'), [secret]))).not.toThrow();
    expect(JSON.parse(redact(JSON.stringify({ a: `x${secret}` }), [secret]))).toEqual({ a: `x${REDACTED}` });
  });
});

describe('redact: spaced-out copies', () => {
  it('catches the characters separated by spaces, dashes, dots, newlines or a few of them', () => {
    expectRedacted([...KEY].join(' '));
    expectRedacted([...KEY].join('-'));
    expectRedacted([...KEY].join(' . '));
    expectRedacted([...KEY].join('\n'));
    expectRedacted(KEY.split('').reverse().reverse().join('  '));
    const json = JSON.stringify({ out: [...KEY].join('\n') });
    const out = expectRedacted(json);
    expect(() => JSON.parse(out)).not.toThrow();
  });

  it('does not reach across more than a few separators or a quote', () => {
    const far = [...KEY].join('      ');
    expect(redact(far, secrets)).toBe(far);
    const quoted = [...KEY].map((char) => `"${char}"`).join(',');
    expect(redact(quoted, secrets)).toBe(quoted);
  });
});

describe('redact: no false positives', () => {
  it('leaves ordinary prose, code, JSON, and base64 and hex of other data as they are', () => {
    const texts = [
      'The quick brown fox jumps over the lazy dog. 0123456789 — ünïcödé — 日本語',
      'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
      JSON.stringify({ id: 1, name: 'sk-ant-api03', path: 'src/clutch/test/key.ts', values: [1, 2, 3] }),
      randomBytes(4096).toString('base64'),
      randomBytes(4096).toString('hex'),
      // Most of the secret, but not all of it.
      KEY.slice(0, -6),
      b64(KEY.slice(0, 20)),
      [...KEY.slice(0, 20)].join(' '),
    ];
    for (const text of texts) expect(redact(text, secrets)).toBe(text);
  });

  it('hunts no encodings of a secret shorter than the minimum; the plain text is still replaced', () => {
    const short = 'abc123';
    expect(short.length).toBeLessThan(MIN_SECRET_LENGTH);
    expect(redact(`x ${short} y`, [short])).toBe(`x ${REDACTED} y`);
    expect(redact(b64(`a${short}b`), [short])).toBe(b64(`a${short}b`));
    expect(redact([...short].join(' '), [short])).toBe([...short].join(' '));
    expect(redact(hex(short), [short])).toBe(hex(short));
  });
});

describe('redact: callers', () => {
  it('secretsOf lists secret-looking variables of 8+ characters and redact covers their JSON forms', () => {
    const env = { ANTHROPIC_API_KEY: KEY, GH_TOKEN: 'a"b\\c/d-long', PATH: '/usr/bin', SHORT_TOKEN: 'abc' };
    const found = secretsOf(env);
    expect(found).toContain(KEY);
    expect(found).not.toContain('abc');
    expect(redact(JSON.stringify({ v: 'a"b\\c/d-long' }), found)).toBe(`{"v":"${REDACTED}"}`);
  });

  it('redactKey still removes a key from an SDK message, in its encodings too', () => {
    expect(redactKey(`401: invalid x-api-key ${KEY}`, KEY)).toBe(`401: invalid x-api-key ${REDACTED}`);
    expect(redactKey(b64(KEY), KEY)).not.toContain(b64(KEY).slice(0, 20));
    expect(redactKey('abc', 'ab')).toBe('abc');
  });

  it('compiles one matcher per list and gives the same answers from its cache', () => {
    const list = [KEY, TOKEN];
    const text = `a ${b64(KEY)} b ${hex(TOKEN)} c`;
    const first = redact(text, list);
    expect(redact(text, list)).toBe(first);
    expect(redact(text, [KEY, TOKEN])).toBe(first);
    expect(first).toBe(`a ${REDACTED} b ${REDACTED} c`);
  });
});

describe('redact: speed', () => {
  it('prints ns/byte on a 1 MB string with 2 secrets (no timing assertion)', () => {
    const prose = 'The quick brown fox jumps over the lazy dog 0123456789 {"a": "b"}\n'.repeat(16_000).slice(0, 1 << 20);
    const base64 = randomBytes(800_000).toString('base64').slice(0, 1 << 20);
    const planted = prose.slice(0, 500_000) + b64(`x${KEY}`) + prose.slice(500_000);
    const figures: Record<string, string> = {};
    for (const [name, text] of Object.entries({ prose, base64, planted })) {
      redact(text, secrets);
      let best = Infinity;
      for (let run = 0; run < 5; run++) {
        const start = process.hrtime.bigint();
        redact(text, secrets);
        best = Math.min(best, Number(process.hrtime.bigint() - start) / text.length);
      }
      figures[name] = `${best.toFixed(2)} ns/byte`;
    }
    console.log(`redact, 1 MB, 2 secrets: ${JSON.stringify(figures)}`);
    expect(redact(planted, secrets)).toContain(REDACTED);
  });
});
