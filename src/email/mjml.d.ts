// mjml ships no types. Only what Kindling calls; see node_modules/mjml-core/lib/index.js (MJML 5: async).
declare module 'mjml' {
  interface MjmlError {
    line: number;
    message: string;
    tagName: string;
    formattedMessage: string;
  }
  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    keepComments?: boolean;
    minify?: boolean;
    beautify?: boolean;
    ignoreIncludes?: boolean;
    filePath?: string;
    fonts?: Record<string, string>;
  }
  function mjml2html(input: string, options?: MjmlOptions): Promise<{ html: string; errors: MjmlError[] }>;
  export = mjml2html;
}

// Only for the unit test that keeps MJML_ENDING_TAGS in sync with the registered components
declare module 'mjml-core' {
  export const components: Record<string, { endingTag?: boolean }>;
}
