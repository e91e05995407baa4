/** Page styles for the app (the element has its own, themable ones). */
import { css } from 'lit';

export const appStyles = css`
  :host {
    display: block;
    max-width: 1000px;
    margin: 0 auto;
    padding: 1.5rem 1.25rem 3rem;
    font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: #1b1f27;
  }
  header h1 {
    margin: 0;
    font-size: 1.7rem;
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  header .logo {
    width: 1.6rem;
    height: 1.6rem;
  }
  .tagline {
    margin: 0.25rem 0 1.25rem;
    color: #454c59;
  }
  form {
    display: grid;
    gap: 1rem;
  }
  fieldset {
    border: 1px solid #d8dce3;
    border-radius: 10px;
    padding: 0.75rem 1rem 1rem;
    margin: 0;
    display: grid;
    gap: 0.6rem;
  }
  legend {
    font-weight: 700;
    padding: 0 0.35rem;
  }
  .tabs {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1.25rem;
  }
  .tabs label,
  .check {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    cursor: pointer;
  }
  .field {
    display: grid;
    gap: 0.2rem;
  }
  .field label {
    font-weight: 600;
    font-size: 0.92rem;
  }
  input[type='text'],
  input[type='url'],
  textarea {
    font: inherit;
    padding: 0.4rem 0.55rem;
    border: 1px solid #9aa3b2;
    border-radius: 6px;
    width: 100%;
    box-sizing: border-box;
  }
  textarea {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.85rem;
  }
  :focus-visible {
    outline: 3px solid #2563eb;
    outline-offset: 2px;
  }
  .dropzone {
    border: 2px dashed #9aa3b2;
    border-radius: 10px;
    padding: 0.75rem 1rem;
    display: grid;
    gap: 0.6rem;
    background: #fafbfc;
  }
  .dropzone.dragging {
    border-color: #2563eb;
    background: #eff4ff;
  }
  .dropzone p {
    margin: 0;
  }
  .pickers {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem 2rem;
    align-items: end;
  }
  .note {
    margin: 0;
    padding: 0.5rem 0.75rem;
    background: #f3f5f8;
    border-radius: 6px;
    font-size: 0.9rem;
  }
  .options summary {
    cursor: pointer;
    font-weight: 600;
  }
  .options[open] {
    display: grid;
    gap: 0.5rem;
  }
  .actions {
    display: flex;
    gap: 0.75rem;
    align-items: center;
    flex-wrap: wrap;
  }
  button {
    font: inherit;
    border-radius: 8px;
    padding: 0.5rem 1.1rem;
    cursor: pointer;
    border: 1px solid #1d4ed8;
  }
  button.primary {
    background: #1d4ed8;
    color: white;
    font-weight: 600;
  }
  button.secondary {
    background: white;
    color: #1d4ed8;
  }
  button:disabled {
    opacity: 0.55;
    cursor: default;
  }
  .small {
    font-size: 0.85rem;
  }
  .progress {
    /* In view for the whole run, wherever the page is scrolled. */
    position: sticky;
    top: 0;
    z-index: 2;
    margin: 0 0 1rem;
    padding: 0.6rem 0.9rem;
    background: var(--mv-surface, #ffffff);
    border: 1px solid #d8dce3;
    border-radius: 10px;
    box-shadow: 0 2px 8px rgb(0 0 0 / 0.08);
  }
  .field-note {
    margin: 0.15rem 0 0;
    padding: 0.35rem 0.6rem;
    border-left: 3px solid #b45309;
    background: #fffbeb;
    color: #78350f;
    font-size: 0.9rem;
    border-radius: 0 6px 6px 0;
  }
  [aria-invalid='true'] {
    border-color: #b45309;
  }
  .detected {
    margin: 0;
  }
  .claimed {
    border: 1px dashed #9aa3b2;
    border-radius: 8px;
    padding: 0.6rem 0.9rem;
    display: grid;
    gap: 0.5rem;
  }
  .claimed h2 {
    margin: 0;
    font-size: 1rem;
  }
  .claimed .tag {
    font-size: 0.8rem;
    font-weight: 600;
    color: #5b6270;
    background: #f3f5f8;
    border-radius: 999px;
    padding: 0.1rem 0.55rem;
    margin-left: 0.4rem;
  }
  .claimed dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.2rem 1em;
    margin: 0;
  }
  .claimed dt {
    font-weight: 600;
    color: #5b6270;
  }
  .claimed dd {
    margin: 0;
    word-break: break-word;
  }
  .progress progress {
    width: 100%;
    height: 1rem;
  }
  .progress p {
    margin: 0.25rem 0;
  }
  .result {
    margin-top: 1.5rem;
    display: grid;
    gap: 1rem;
  }
  .verdict {
    display: flex;
    gap: 0.9rem;
    align-items: flex-start;
    border-radius: 10px;
    padding: 0.9rem 1.1rem;
    border: 2px solid;
  }
  .verdict.ok {
    background: #f0fdf4;
    border-color: #15803d;
  }
  .verdict.fail {
    background: #fef2f2;
    border-color: #b91c1c;
  }
  .verdict .icon {
    font-size: 1.6rem;
    font-weight: 800;
    line-height: 1;
    width: 2.2rem;
    height: 2.2rem;
    display: grid;
    place-items: center;
    border-radius: 50%;
    color: white;
  }
  .verdict.ok .icon {
    background: #15803d;
  }
  .verdict.fail .icon {
    background: #b91c1c;
  }
  .verdict p {
    margin: 0;
  }
  .verdict .headline {
    margin: 0;
    font-size: 1.15rem;
  }
  .verdict .sub {
    color: #3b4250;
    word-break: break-word;
  }
  .panels {
    border: 1px solid #d8dce3;
    border-radius: 10px;
    padding: 0.75rem 1rem;
  }
  .panels:empty {
    display: none;
  }
  details.json pre {
    max-height: 24rem;
    overflow: auto;
    background: #f3f5f8;
    padding: 0.75rem;
    border-radius: 6px;
    font-size: 0.8rem;
  }
  details.json summary {
    cursor: pointer;
    font-weight: 600;
  }
  /* Verify / Sign page links, drawn as tabs; aria-current marks the open page (not colour alone: bold + border). */
  nav.pages {
    display: flex;
    gap: 0.25rem;
    border-bottom: 1px solid #d8dce3;
    margin: 0 0 1.25rem;
  }
  nav.pages a {
    padding: 0.45rem 1.1rem;
    border: 1px solid transparent;
    border-bottom: none;
    border-radius: 8px 8px 0 0;
    color: #1d4ed8;
    text-decoration: none;
    font-weight: 600;
    margin-bottom: -1px;
  }
  nav.pages a:hover {
    background: #f3f5f8;
  }
  nav.pages a[aria-current='page'] {
    color: #1b1f27;
    background: white;
    border-color: #d8dce3;
    border-bottom: 3px solid #1d4ed8;
  }

  .skip {
    position: absolute;
    font: inherit;
    border: 0;
    cursor: pointer;
    left: 0.5rem;
    top: -3rem;
    padding: 0.4rem 0.8rem;
    background: #1d4ed8;
    color: #fff;
    border-radius: 6px;
    z-index: 10;
  }
  .skip:focus {
    top: 0.5rem;
  }
  main:focus {
    outline: none;
  }
  /* Dark mode follows the system setting; status never depends on colour alone (symbols and words). */
  @media (prefers-color-scheme: dark) {
    :host {
      color-scheme: dark;
      color: #e5e7eb;
      background: #111318;
      --mv-surface: #111318;
      --mv-muted: #a3aab8;
      --mv-line: #394150;
      --mv-head: #1c2029;
      --mv-ok: #4ade80;
      --mv-fail: #f87171;
      --mv-fail-bg: #2a1215;
      --mv-warn: #fbbf24;
    }
    .tagline,
    .verdict .sub {
      color: #b8bfcc;
    }
    fieldset,
    .panels,
    .progress,
    nav.pages {
      border-color: #394150;
    }
    input[type='text'],
    input[type='url'],
    textarea {
      background: #1a1d24;
      color: inherit;
      border-color: #5b6475;
    }
    .note,
    details.json pre,
    .claimed .tag {
      background: #1c2029;
      color: #d1d5db;
    }
    .claimed dt {
      color: #a3aab8;
    }
    .field-note {
      background: #2b2110;
      color: #fcd34d;
    }
    button.secondary {
      background: transparent;
      color: #93b4ff;
      border-color: #93b4ff;
    }
    nav.pages a {
      color: #93b4ff;
    }
    .verdict.ok {
      background: #0f2a1a;
      border-color: #22c55e;
    }
    .verdict.fail {
      background: #2a1215;
      border-color: #ef4444;
    }
    a {
      color: #93b4ff;
    }
    .dropzone {
      background: #161a21;
      border-color: #5b6475;
    }
    .dropzone.dragging {
      background: #17233d;
      border-color: #93b4ff;
    }
  }
`;
