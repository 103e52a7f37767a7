import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { ReactNode } from 'react';

/** Asks before something that cannot be undone; the dangerous choice is never the default. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  const { open, title, children, confirmLabel, onConfirm, onCancel } = props;
  return (
    <Dialog
      open={open}
      onClose={onCancel}
      aria-labelledby="email-provider-confirm-title"
      aria-describedby="email-provider-confirm-description"
    >
      <DialogTitle id="email-provider-confirm-title">{title}</DialogTitle>
      <DialogContent id="email-provider-confirm-description">
        {children}
      </DialogContent>
      <DialogActions>
        {/* A dialog moves focus into itself (WAI-ARIA dialog pattern); the safe choice first. */}
        {/* eslint-disable-next-line jsx-a11y/no-autofocus */}
        <Button onClick={onCancel} autoFocus>
          {props.cancelLabel ?? 'Cancel'}
        </Button>
        <Button onClick={onConfirm} color="secondary" variant="contained">
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
