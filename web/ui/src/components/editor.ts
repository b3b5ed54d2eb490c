// The PromQL editor: CodeMirror 6 with @prometheus-io/codemirror-promql
// (highlighting, autocompletion from our /api/v1, inline lint errors).
// Enter runs the query (unless a completion is open); Shift+Enter inserts a
// newline.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

const highlight = HighlightStyle.define([
  { tag: tags.number, color: '#09885a' },
  { tag: tags.string, color: '#a31515' },
  { tag: tags.keyword, color: '#008080', fontWeight: 'bold' },
  { tag: tags.function(tags.variableName), color: '#008080' },
  { tag: tags.labelName, color: '#800000' },
  { tag: tags.operator, color: '#af00db' },
  { tag: tags.modifier, color: '#af00db', fontWeight: 'bold' },
  { tag: tags.paren, color: '#444' },
  { tag: tags.squareBracket, color: '#444' },
  { tag: tags.brace, color: '#444' },
  { tag: tags.invalid, color: 'red' },
  { tag: tags.comment, color: '#888', fontStyle: 'italic' },
]);

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  prefix: string; // route prefix, "" at the root
  onChange: (expr: string) => void;
  onExecute: () => void;
}

export function createEditor(opts: EditorOptions): EditorView {
  const promql = new PromQLExtension().setComplete({
    remote: {
      url: `${window.location.origin}${opts.prefix}`,
      httpMethod: 'GET',
      // /api/v1/metadata may be partial: completion must go on without it.
      httpErrorHandler: (e: unknown) => console.warn('autocompletion request failed', e),
    },
  });
  const state = EditorState.create({
    doc: opts.doc,
    extensions: [
      history(),
      bracketMatching(),
      closeBrackets(),
      autocompletion(),
      syntaxHighlighting(highlight),
      placeholder('Expression (press Shift+Enter for newlines)'),
      EditorView.lineWrapping,
      promql.asExtension(),
      keymap.of([
        { key: 'Enter', run: () => (opts.onExecute(), true) },
        { key: 'Shift-Enter', run: insertNewlineAndIndent },
        ...closeBracketsKeymap,
        ...defaultKeymap,
        ...historyKeymap,
        ...completionKeymap,
        ...lintKeymap,
      ]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) opts.onChange(u.state.doc.toString());
      }),
    ],
  });
  return new EditorView({ state, parent: opts.parent });
}
