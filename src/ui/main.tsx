import './zod-jitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { ClutchClient } from './client.js';
import { App } from './components/App.js';
import { connectLive, socketUrl } from './connection.js';
import { ClientContext } from './hooks.js';
import { createStaticClient, type Fixture } from './static-client.js';
import './styles.css';
import './inspector.css';
import { errorText } from '../protocol/error-text.js';

// Fixtures are separate chunks, loaded only for `?fixture=NAME` (developing the UI without an engine).
const fixtures = import.meta.glob<Fixture>('./fixtures/*.json', { import: 'default' });

async function createClient(): Promise<ClutchClient> {
  const name = new URLSearchParams(location.search).get('fixture');
  if (name) {
    const load = fixtures[`./fixtures/${name}.json`];
    if (!load) throw new Error(`no fixture named ${name}; there are: ${Object.keys(fixtures).join(', ')}`);
    return createStaticClient(await load(), name);
  }
  return connectLive({ url: socketUrl(location) });
}

const root = createRoot(document.getElementById('root')!);
createClient().then(
  (client) =>
    root.render(
      <StrictMode>
        <ClientContext.Provider value={client}>
          <App />
        </ClientContext.Provider>
      </StrictMode>,
    ),
  (error: unknown) => root.render(<pre className="fatal">{errorText(error)}</pre>),
);
