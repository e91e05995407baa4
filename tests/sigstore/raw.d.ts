// Vite `?raw` imports (fixtures for tests that also run in Chromium and workerd, where there is no fs).
declare module '*?raw' {
  const text: string;
  export default text;
}
