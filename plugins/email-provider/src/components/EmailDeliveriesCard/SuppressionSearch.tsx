import { useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  type EmailAddressProblem,
  emailAddressProblem,
  MAX_EMAIL_ADDRESS_LENGTH,
} from '@email-provider/backstage-plugin-email-provider-common';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import { readableErrorText } from './readableErrorText';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { FormEvent, useState } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import { useAppLanguage } from '../../translations/useAppLanguage';
import { formatCount } from './format';

const useStyles = makeStyles(theme => ({
  form: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-start',
    gap: theme.spacing(2),
  },
  address: {
    width: 320,
    ...readableErrorText(theme),
  },
  button: { marginTop: 2 },
  serverError: { flexBasis: '100%' },
}));

/** Why the address typed is not searched for, or what to type when nothing is wrong with it. */
function useAddressHelp(problem: EmailAddressProblem | undefined): string {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const language = useAppLanguage();
  if (problem === 'tooLong') {
    return t('deliveries.suppressions.addressTooLong', {
      max: formatCount(MAX_EMAIL_ADDRESS_LENGTH, language),
    });
  }
  return problem === 'invalid'
    ? t('deliveries.suppressions.addressInvalid')
    : t('deliveries.suppressions.addressHint');
}

/**
 * The search of the suppression list by one whole address (the server matches it exactly,
 * letter case aside), with the server's refusal beside it. An address that is not one is caught
 * here rather than sent.
 */
export function SuppressionSearch(props: {
  /** The address the list is read for; undefined for every address. */
  applied?: string;
  onSearch(address: string | undefined): void;
  /** The server's reason for refusing the address (a 400). */
  serverError?: string;
}) {
  const { applied, onSearch, serverError } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(emailProviderTranslationRef);
  const [typed, setTyped] = useState(applied ?? '');
  const [problem, setProblem] = useState<EmailAddressProblem>();
  const help = useAddressHelp(problem);

  const search = (event: FormEvent) => {
    event.preventDefault();
    const address = typed.trim();
    const found = address ? emailAddressProblem(address) : undefined;
    setProblem(found);
    if (!found) {
      onSearch(address || undefined);
    }
  };

  const showAll = () => {
    setTyped('');
    setProblem(undefined);
    onSearch(undefined);
  };

  return (
    <form
      className={classes.form}
      onSubmit={search}
      // The field says itself why an address is not one, in the page's language.
      noValidate
      role="search"
      aria-label={t('deliveries.suppressions.title')}
    >
      <TextField
        id="email-suppressions-address"
        label={t('deliveries.suppressions.address')}
        type="email"
        variant="outlined"
        size="small"
        className={classes.address}
        value={typed}
        onChange={event => {
          setTyped(event.target.value);
          setProblem(undefined);
        }}
        error={problem !== undefined}
        helperText={help}
      />
      <Button type="submit" variant="outlined" className={classes.button}>
        {t('deliveries.suppressions.search')}
      </Button>
      {(applied || typed) && (
        <Button onClick={showAll} className={classes.button}>
          {t('deliveries.suppressions.clearSearch')}
        </Button>
      )}
      {serverError && (
        <Alert severity="error" role="alert" className={classes.serverError}>
          {t('deliveries.suppressions.searchError', { error: serverError })}
        </Alert>
      )}
    </form>
  );
}
