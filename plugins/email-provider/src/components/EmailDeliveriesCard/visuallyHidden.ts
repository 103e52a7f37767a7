import type { CSSProperties } from '@material-ui/core/styles/withStyles';

/**
 * Hides text on screen and keeps it for screen readers (Material UI v4 has no such class): a
 * table's caption, a status announced as it changes.
 */
export const visuallyHidden: CSSProperties = {
  position: 'absolute',
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
  border: 0,
};
