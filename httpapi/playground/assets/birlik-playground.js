// The playground page's own script: it starts GraphiQL (vendor/graphiql.min.js, with React and
// ReactDOM before it and the explorer plugin) from the settings the gateway wrote into the page
// as JSON (the #playground-config element), so that the page runs no inline script and its
// Content-Security-Policy can allow scripts from the gateway itself only.
(function () {
  'use strict';

  // PrefixedStorage keeps GraphiQL's state (tabs, edited headers, the theme) in localStorage
  // under keys that start with the gateway's prefix, apart from other GraphiQL pages of the
  // same origin.
  class PrefixedStorage {
    constructor(prefix) {
      this.prefix = prefix;
    }
    ownKeys() {
      const keys = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key !== null && key.startsWith(this.prefix)) {
          keys.push(key.substring(this.prefix.length));
        }
      }
      return keys;
    }
    getItem(key) {
      return localStorage.getItem(this.prefix + key);
    }
    setItem(key, value) {
      localStorage.setItem(this.prefix + key, value);
    }
    removeItem(key) {
      localStorage.removeItem(this.prefix + key);
    }
    clear() {
      this.ownKeys().forEach((key) => localStorage.removeItem(this.prefix + key));
    }
    key(index) {
      const keys = this.ownKeys();
      return index >= 0 && index < keys.length ? keys[index] : null;
    }
    get length() {
      return this.ownKeys().length;
    }
  }

  const config = JSON.parse(document.getElementById('playground-config').textContent);
  const storage = new PrefixedStorage(config.storagePrefix);
  const headers = JSON.stringify(config.headers || {}, null, 2);
  // Every example tab opens with the headers filled in; a tab added with + gets them too.
  const tabs = (config.tabs || []).map((tab) => ({
    query: tab.query,
    variables: tab.variables || null,
    headers: headers,
  }));
  const props = {
    fetcher: GraphiQL.createFetcher({ url: new URL(config.endpoint, location.href).href }),
    defaultHeaders: headers,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    storage: storage,
  };
  // GraphiQL keeps its tabs in storage ("graphiql:tabState") and, apart, the text of the three
  // editors of the active tab ("graphiql:query", ":variables", ":headers"). At start it reopens
  // the tab whose texts equal those three, and adds a new tab when none does.
  const stored = storage.getItem('graphiql:tabState');
  let active = null;
  try {
    const state = stored ? JSON.parse(stored) : null;
    active = state && Array.isArray(state.tabs) ? state.tabs[state.activeTabIndex] : null;
  } catch (e) {
    active = null;
  }
  if (active) {
    // A reload: point the three texts at the active tab, so that GraphiQL reopens it with what
    // was typed in it (the headers included) instead of adding a tab of its own.
    for (const key of ['query', 'variables', 'headers']) {
      if (typeof active[key] === 'string') {
        storage.setItem('graphiql:' + key, active[key]);
      } else {
        storage.removeItem('graphiql:' + key);
      }
    }
  } else if (tabs.length > 0) {
    // A first visit: the example tabs. GraphiQL fills only the query editor from the first of
    // them, so its variables and headers are given as well.
    props.defaultTabs = tabs;
    props.query = tabs[0].query;
    props.variables = tabs[0].variables || undefined;
    props.headers = headers;
  }
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, props));

  // The status bar above the editor: while the gateway is not ready (its first sync, then the
  // integrity checks and the family assessments) or serves with less (degraded), it says what
  // each such component of /readyz is doing and how far it got, so that answers read meanwhile
  // can be judged; it hides while every component is ok. /readyz is polled every 2 s while
  // the gateway is not ready, every 15 s after; where it does not answer JSON (kept to the
  // operators' network by a proxy) the bar stays hidden.
  const bar = document.getElementById('birlik-status');
  if (config.readiness && bar) {
    const readiness = new URL(config.readiness, location.href).href;
    // show fills the bar: status is /readyz's ("not ready", "degraded"), kept in data-status.
    const show = (status, heading, lines) => {
      bar.replaceChildren();
      const head = document.createElement('strong');
      head.textContent = heading;
      bar.appendChild(head);
      for (const line of lines) {
        const item = document.createElement('div');
        item.textContent = line;
        bar.appendChild(item);
      }
      bar.dataset.status = status;
      bar.hidden = false;
    };
    const poll = async () => {
      let notReady = true;
      try {
        const res = await fetch(readiness, { headers: { Accept: 'application/json' }, cache: 'no-store' });
        if (!(res.headers.get('Content-Type') || '').startsWith('application/json')) {
          // A proxy in front keeps /readyz to the operators: no bar, no more polling.
          bar.hidden = true;
          bar.dataset.status = 'hidden';
          return;
        }
        const report = await res.json();
        const parts = Object.entries(report.components || {}).filter(([, c]) => c.state !== 'ok');
        parts.sort(([a, x], [b, y]) => (x.state === y.state ? a.localeCompare(b) : x.state === 'down' ? -1 : 1));
        const lines = parts.map(([name, c]) => name + ' (' + c.state + '): ' + (c.detail || ''));
        notReady = report.status === 'not ready';
        if (notReady) {
          show(report.status, 'Not ready yet: answers hold only what is synced and computed so far.', lines);
        } else if (report.status === 'degraded') {
          show(report.status, 'Degraded: the gateway answers, with less.', lines);
        } else {
          bar.hidden = true;
          bar.dataset.status = report.status;
        }
      } catch (e) {
        show('unreachable', 'The gateway does not answer ' + config.readiness + ': ' + e.message, []);
      }
      setTimeout(poll, notReady ? 2000 : 15000);
    };
    poll();
  }
})();
