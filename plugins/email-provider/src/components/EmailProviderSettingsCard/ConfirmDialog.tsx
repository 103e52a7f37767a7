import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { ReactNode } from 'react';
import { emailProviderTranslationRef } from '../../translation';

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
  const { t } = useTranslationRef(emailProviderTranslationRef);
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
        {/* Without the focus ripple: Material UI 4 under React 18 pulses it before it exists when */}
        {/* a button is focused as it mounts after a keyboard action, and the page crashes */}
        {/* (mui/material-ui#30953). The focus-visible style still shows the focus. */}
        {/* eslint-disable-next-line jsx-a11y/no-autofocus */}
        <Button onClick={onCancel} autoFocus disableFocusRipple>
          {props.cancelLabel ?? t('settings.confirm.cancel')}
        </Button>
        <Button onClick={onConfirm} color="secondary" variant="contained">
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
