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
})();
