/// <reference types="vite/client" />
/** App entry: the page element, plus a service worker so the page keeps working offline once loaded. */
import './mv-app.js';

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  addEventListener('load', () => {
    navigator.serviceWorker.register(new URL('sw.js', document.baseURI)).catch(() => {
      /* offline support is a bonus: the page works without it */
    });
  });
}
