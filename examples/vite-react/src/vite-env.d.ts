interface ImportMetaEnv {
  /** The syncline server the app talks to (default http://127.0.0.1:3030). */
  readonly VITE_SYNCLINE_SERVER?: string
}
