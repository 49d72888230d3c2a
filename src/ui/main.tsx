/** Boot: where the marketplace is, who is signed in (this tab), then the app. */
import { render } from 'preact';
import { configureApi } from './api.js';
import { App } from './app.js';
import { loadConfig } from './config.js';
import { currentToken, restoreSession, sessionEnded } from './session.js';
import './styles/index.css';

async function boot(): Promise<void> {
  const config = await loadConfig();
  configureApi(config.marketplaceUrl, currentToken, sessionEnded);
  // The callback page signs in with the token it was sent; any other page resumes the tab's session.
  if (!window.location.pathname.endsWith('/auth/callback')) await restoreSession();
  const root = document.getElementById('app') as HTMLElement;
  root.textContent = '';
  render(<App />, root);
}

void boot();
