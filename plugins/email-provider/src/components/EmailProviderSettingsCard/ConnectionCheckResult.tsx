import { useTranslationRef } from '@backstage/frontend-plugin-api';
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
import { emailProviderTranslationRef } from '../../translation';
import { useFailureSentence } from '../FailureSentence';
import { FailureDetails } from './FailureDetails';

/** The message key of each step the backend names, under `settings.connectionCheck.steps`. */
const STEP_KEYS = {
  dns: 'dns',
  connect: 'connect',
  tls: 'tls',
  smtp: 'smtp',
  login: 'login',
  token: 'token',
  permission: 'permission',
  'large-messages': 'largeMessages',
} as const;

function isKnownStep(name: string): name is keyof typeof STEP_KEYS {
  return Object.hasOwn(STEP_KEYS, name);
}

/**
 * Which settings a connection check is for: the saved ones, those the form has but are not
 * saved, or those the portal's configuration sets.
 */
export type CheckTarget = 'saved' | 'draft' | 'config';

type StepOutcome = 'passed' | 'failed' | 'skipped';

function stepOutcome(step: VerifyStep): StepOutcome {
  if (step.skipped) {
    return 'skipped';
  }
  return step.ok ? 'passed' : 'failed';
}

function StepIcon(props: { outcome: StepOutcome; title: string }) {
  const { outcome, title } = props;
  if (outcome === 'skipped') {
    return <RemoveCircleOutlineIcon color="action" titleAccess={title} />;
  }
  return outcome === 'passed' ? (
    <CheckCircleIcon style={{ color: '#2e7d32' }} titleAccess={title} />
  ) : (
    <ErrorIcon color="error" titleAccess={title} />
  );
}

/** What the connection check found, step by step. */
export function ConnectionCheckResult(props: {
  result: VerifyResult;
  target: CheckTarget;
}) {
  const { result, target } = props;
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const explain = useFailureSentence();
  // A step this page does not know yet keeps the backend's name for it.
  const stepLabel = (name: string) =>
    isKnownStep(name)
      ? t(`settings.connectionCheck.steps.${STEP_KEYS[name]}`)
      : name;
  const failed = result.steps.find(step => !step.ok);

  let verdict: string;
  if (!failed) {
    verdict = t('settings.connectionCheck.failed');
  } else if (failed.failure) {
    verdict = t('settings.connectionCheck.failedAtBecause', {
      step: stepLabel(failed.name),
      reason: explain(failed.failure),
    });
  } else {
    verdict = t('settings.connectionCheck.failedAt', {
      step: stepLabel(failed.name),
    });
  }

  return (
    <Box>
      <Typography variant="h6" component="h3">
        {t(`settings.connectionCheck.heading.${target}`)}
      </Typography>
      {result.ok ? (
        <Alert severity="success" role="status">
          {t('settings.connectionCheck.works')}
        </Alert>
      ) : (
        <Alert severity="error" role="alert">
          {verdict}
        </Alert>
      )}
      <List aria-label={t('settings.connectionCheck.stepsLabel')}>
        {result.steps.map((step, index) => {
          const outcome = stepOutcome(step);
          return (
            <ListItem key={`${step.name}-${index}`} alignItems="flex-start">
              <ListItemIcon>
                <StepIcon
                  outcome={outcome}
                  title={t(`settings.connectionCheck.outcome.${outcome}`)}
                />
              </ListItemIcon>
              <ListItemText
                primary={t(`settings.connectionCheck.step.${outcome}`, {
                  step: stepLabel(step.name),
                  durationMs: step.durationMs,
                })}
                secondaryTypographyProps={{ component: 'div' }}
                secondary={
                  <>
                    {step.detail && <div>{step.detail}</div>}
                    {step.failure && (
                      <>
                        <div>{explain(step.failure)}</div>
                        <FailureDetails failure={step.failure} />
                      </>
                    )}
                  </>
                }
              />
            </ListItem>
          );
        })}
      </List>
    </Box>
  );
}
