/*
 * The install steps of the READMEs, kept once in docs/install/: each README shows its snippets
 * verbatim (the adopter test's first check compares them), and the adopter test applies the same
 * files to a fresh create-app portal, in this order. A snippet changed in one place only fails
 * the check; a snippet that does not work fails the adopter test.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML, { isMap, isScalar, YAMLMap } from 'yaml';
import { ROOT } from './support';

export type InstallSnippet = {
  /** The file under docs/install/. */
  file: string;
  /** The READMEs, from the repository root, that show it as a code block. */
  shownIn: string[];
  /**
   * What the adopter test does with it in the fresh portal, as an adopter following the README
   * would: run each line of a shell snippet, put a backend line into packages/backend/src/index.ts,
   * put imports and JSX into a component (`jsx`: the snippet's JSX lines that the file lacks go
   * below the snippet line before them, which the file has), merge YAML into app-config.yaml, or
   * write the file the snippet's first line names. Snippets without it are shown only (a
   * create-app portal needs neither explicit app features nor the legacy frontend system, and has
   * the common package through the others).
   */
  apply?: 'run' | 'backend-index' | 'jsx' | 'app-config' | 'file';
};

const ROOT_README = 'README.md';
const FRONTEND = 'plugins/email-provider/README.md';
const BACKEND = 'plugins/email-provider-backend/README.md';
const NODE = 'plugins/email-provider-node/README.md';
const NOTIFICATIONS =
  'plugins/notifications-backend-module-email-provider/README.md';
const COMMON = 'plugins/email-provider-common/README.md';

export const INSTALL_SNIPPETS: InstallSnippet[] = [
  {
    file: 'backend-add.sh',
    shownIn: [ROOT_README, BACKEND],
    apply: 'run',
  },
  {
    file: 'backend-index.ts',
    shownIn: [ROOT_README, BACKEND],
    apply: 'backend-index',
  },
  {
    file: 'backend-config.yaml',
    shownIn: [ROOT_README, BACKEND],
    apply: 'app-config',
  },
  { file: 'app-add.sh', shownIn: [ROOT_README, FRONTEND], apply: 'run' },
  { file: 'app-sidebar.tsx', shownIn: [ROOT_README, FRONTEND], apply: 'jsx' },
  {
    file: 'cors.yaml',
    shownIn: [ROOT_README, FRONTEND, BACKEND],
    apply: 'app-config',
  },
  { file: 'app-features.tsx', shownIn: [FRONTEND] },
  { file: 'app-legacy.tsx', shownIn: [FRONTEND] },
  { file: 'common-add.sh', shownIn: [COMMON] },
  { file: 'notifications-add.sh', shownIn: [NOTIFICATIONS], apply: 'run' },
  {
    file: 'notifications-index.ts',
    shownIn: [NOTIFICATIONS],
    apply: 'backend-index',
  },
  { file: 'weekly-report-add.sh', shownIn: [NODE], apply: 'run' },
  { file: 'weekly-report-plugin.ts', shownIn: [NODE], apply: 'file' },
  {
    file: 'weekly-report-config.yaml',
    shownIn: [NODE],
    apply: 'app-config',
  },
  { file: 'weekly-report-backend-add.sh', shownIn: [NODE], apply: 'run' },
  {
    file: 'weekly-report-index.ts',
    shownIn: [NODE],
    apply: 'backend-index',
  },
];

export const SNIPPET_DIR = path.join(ROOT, 'docs', 'install');

export function snippetText(snippet: InstallSnippet): string {
  return fs.readFileSync(path.join(SNIPPET_DIR, snippet.file), 'utf8');
}

/** The snippet as a Markdown code block, exactly as a README shows it. */
export function codeBlock(snippet: InstallSnippet): string {
  const language = path.extname(snippet.file).slice(1);
  return `\`\`\`${language}\n${snippetText(snippet)}\`\`\`\n`;
}

/** The file a snippet is about, from its first line: `// packages/...` or `# app-config.yaml`. */
export function snippetTarget(snippet: InstallSnippet): string {
  const first = snippetText(snippet).split('\n')[0];
  const match = /^(?:\/\/|#) (\S+)$/.exec(first);
  if (!match) {
    throw new Error(
      `docs/install/${snippet.file} must start with a comment naming its file, such as "// packages/backend/src/index.ts"`,
    );
  }
  return match[1];
}

/** The lines of a shell snippet that are commands. */
export function commandLines(snippet: InstallSnippet): string[] {
  return snippetText(snippet)
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('#'));
}

/** The snippet without its first line, which names the file. */
function snippetBody(snippet: InstallSnippet): string {
  return snippetText(snippet).split('\n').slice(1).join('\n');
}

/** Puts a snippet's backend lines into packages/backend/src/index.ts, before `backend.start()`. */
export function addToBackendIndex(portalDir: string, snippet: InstallSnippet) {
  const file = path.join(portalDir, snippetTarget(snippet));
  const index = fs.readFileSync(file, 'utf8');
  const start = 'backend.start();';
  if (!index.includes(start)) {
    throw new Error(`${file} has no "${start}" to add the plugin before`);
  }
  fs.writeFileSync(
    file,
    index.replace(start, `${snippetBody(snippet)}\n${start}`),
  );
}

/**
 * Puts a snippet's imports below the file's last import, and each of its JSX lines that the file
 * lacks below the line that comes before it in the snippet (`<SidebarSpace />`), which the file
 * must have. Placeholders (`{/* … *\/}`), comments and the snippet's closing `;` are not code to
 * copy.
 */
export function addToComponent(portalDir: string, snippet: InstallSnippet) {
  const file = path.join(portalDir, snippetTarget(snippet));
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const code = (line: string) => line.trim().replace(/;$/, '');
  const body = snippetBody(snippet)
    .split('\n')
    .filter(line => code(line) && !/^(\/\/|\{\/\*)/.test(code(line)));

  const imports = body.filter(line => line.startsWith('import '));
  let lastImport = -1;
  lines.forEach((line, index) => {
    if (line.startsWith('import ') || /^} from '/.test(line)) {
      lastImport = index;
    }
  });
  lines.splice(lastImport + 1, 0, ...imports);

  let anchor = -1;
  for (const line of body.filter(l => !l.startsWith('import '))) {
    const found = lines.findIndex(l => code(l) === code(line));
    if (found >= 0) {
      anchor = found;
      continue;
    }
    if (anchor < 0) {
      throw new Error(
        `${file} has none of the lines docs/install/${
          snippet.file
        } places "${code(line)}" after`,
      );
    }
    const indent = /^\s*/.exec(lines[anchor])![0];
    anchor += 1;
    lines.splice(anchor, 0, `${indent}${code(line)}`);
  }
  fs.writeFileSync(file, lines.join('\n'));
}

/**
 * Merges a YAML snippet into the portal's app-config.yaml as an adopter adds it: keys the file has
 * get the snippet's keys added inside them (`backend.cors` keeps its origin and gains
 * exposedHeaders), new keys are added at the end, each with its comments.
 */
export function mergeIntoAppConfig(portalDir: string, snippet: InstallSnippet) {
  const file = path.join(portalDir, snippetTarget(snippet));
  const before = fs.readFileSync(file, 'utf8');
  const target = YAML.parseDocument(before);
  const additionText = snippetBody(snippet);
  const addition = YAML.parseDocument(additionText);
  if (!isMap(target.contents) || !isMap(addition.contents)) {
    throw new Error(`${file} and ${snippet.file} must both be YAML mappings`);
  }
  mergeMaps(target.contents, addition.contents);
  const after = target.toString({ lineWidth: 0, flowCollectionPadding: false });

  // The merge must mean what the adopter meant: the old config with the snippet's keys.
  const expected = mergeValues(YAML.parse(before), YAML.parse(additionText));
  if (JSON.stringify(YAML.parse(after)) !== JSON.stringify(expected)) {
    throw new Error(`Merging ${snippet.file} into ${file} went wrong`);
  }
  fs.writeFileSync(file, after);
}

function mergeMaps(target: YAMLMap, addition: YAMLMap) {
  // A comment right above a map's first key belongs to the map; it goes with that key instead.
  const [first] = addition.items;
  if (addition.commentBefore && first && isScalar(first.key)) {
    first.key.commentBefore = addition.commentBefore;
    addition.commentBefore = undefined;
  }
  for (const pair of addition.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    const existing = target.items.find(
      item => isScalar(item.key) && item.key.value === key,
    );
    if (!existing) {
      target.items.push(pair);
    } else if (isMap(existing.value) && isMap(pair.value)) {
      mergeMaps(existing.value, pair.value);
    } else {
      existing.value = pair.value;
    }
  }
}

function mergeValues(target: unknown, addition: unknown): unknown {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(target) || !isObject(addition)) {
    return addition;
  }
  const merged = { ...target };
  for (const [key, value] of Object.entries(addition)) {
    merged[key] = key in target ? mergeValues(target[key], value) : value;
  }
  return merged;
}

/** Writes the file a snippet shows in full, where its first line says. */
export function writeSnippetFile(portalDir: string, snippet: InstallSnippet) {
  const file = path.join(portalDir, snippetTarget(snippet));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, snippetText(snippet));
}
