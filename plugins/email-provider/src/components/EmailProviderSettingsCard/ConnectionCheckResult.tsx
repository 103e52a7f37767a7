import type {
  VerifyResult,
  VerifyStep,
} from '@email-provider/backstage-plugin-email-provider-common';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import RemoveCircleOutlineIcon from '@material-ui/icons/RemoveCircleOutline';
import Alert from '@material-ui/lab/Alert';
import { FailureDetails } from './FailureDetails';

const STEP_LABELS: Record<string, string> = {
  dns: 'Server address lookup',
  connect: 'Connection',
  tls: 'TLS',
  smtp: 'SMTP greeting',
  login: 'Sign-in',
  token: 'Access token from Microsoft Entra',
  permission: 'Mail.Send permission',
  'large-messages': 'Mail.ReadWrite permission for large messages',
};

export function stepLabel(name: string): string {
  return STEP_LABELS[name] ?? name;
}

/**
 * Which settings a connection check is for: the saved ones, those the form has but are not
 * saved, or those the portal's configuration sets.
 */
export type CheckTarget = 'saved' | 'draft' | 'config';

const TARGET_NAMES: Record<CheckTarget, string> = {
  saved: 'saved settings',
  draft: 'unsaved settings',
  config: 'settings from the configuration',
};

export function checkTargetName(target: CheckTarget): string {
  return TARGET_NAMES[target];
}

function stepOutcome(step: VerifyStep): string {
  if (step.skipped) {
    return 'skipped';
  }
  return step.ok ? 'passed' : 'failed';
}

function StepIcon({ step }: { step: VerifyStep }) {
  if (step.skipped) {
    return <RemoveCircleOutlineIcon color="action" titleAccess="skipped" />;
  }
  return step.ok ? (
    <CheckCircleIcon style={{ color: '#2e7d32' }} titleAccess="passed" />
  ) : (
    <ErrorIcon color="error" titleAccess="failed" />
  );
}

/** What the connection check found, step by step. */
export function ConnectionCheckResult(props: {
  result: VerifyResult;
  target: CheckTarget;
}) {
  const { result, target } = props;
  const failed = result.steps.find(step => !step.ok);
  const what = checkTargetName(target);
  return (
    <Box>
      <Typography variant="h6" component="h3">
        Connection check of the {what}
      </Typography>
      {result.ok ? (
        <Alert severity="success" role="status">
          The connection works: every step passed. Nothing was sent.
        </Alert>
      ) : (
        <Alert severity="error" role="alert">
          The connection check failed
          {failed ? ` at "${stepLabel(failed.name)}"` : ''}
          {failed?.failure ? `: ${failed.failure.message}` : '.'}
        </Alert>
      )}
      <List aria-label="Connection check steps">
        {result.steps.map((step, index) => (
          <ListItem key={`${step.name}-${index}`} alignItems="flex-start">
            <ListItemIcon>
              <StepIcon step={step} />
            </ListItemIcon>
            <ListItemText
              primary={`${stepLabel(step.name)}: ${stepOutcome(step)} (${
                step.durationMs
              } ms)`}
              secondaryTypographyProps={{ component: 'div' }}
              secondary={
                <>
                  {step.detail && <div>{step.detail}</div>}
                  {step.failure && (
                    <>
                      <div>{step.failure.message}</div>
                      <FailureDetails failure={step.failure} />
                    </>
                  )}
                </>
              }
            />
          </ListItem>
        ))}
      </List>
    </Box>
  );
}
