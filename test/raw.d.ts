/** Vite's `?raw` imports: a file's text (tests read the documents this way inside workerd). */
declare module '*?raw' {
  const text: string
  export default text
}
