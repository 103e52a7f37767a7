import { Table, type TableColumn } from '@backstage/core-components';
import { MTableBodyRow, MTableHeader } from '@material-table/core';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import { useMemo } from 'react';
import { visuallyHidden } from './visuallyHidden';

const useStyles = makeStyles(theme => ({
  // Narrower cells than Backstage's dense table, so that every column fits beside the nav.
  table: {
    '& th, & td': { padding: theme.spacing(1, 1.5) },
  },
  visuallyHidden,
}));

/**
 * Backstage's table for rows the server filters, orders and pages (above and below it, by
 * cursor), so its own toolbar, search, paging and sorting are off. material-table gives its
 * `<table>` no name: `caption`, first in the table, names it for assistive technology (the
 * card's title already shows it on screen). Each row carries `rowTestId(row)`, which the tests
 * find rows by.
 */
export function ServerPagedTable<T extends object>(props: {
  caption: string;
  columns: TableColumn<T>[];
  rows: T[];
  empty: string;
  rowTestId(row: T): string;
}) {
  const { caption, columns, rows, empty, rowTestId } = props;
  const classes = useStyles();
  const theme = useTheme();

  const components = useMemo(
    () => ({
      Header: (headerProps: object) => (
        <>
          <caption className={classes.visuallyHidden}>{caption}</caption>
          <MTableHeader {...headerProps} />
        </>
      ),
      Row: (rowProps: { data: T }) => (
        <MTableBodyRow {...rowProps} data-testid={rowTestId(rowProps.data)} />
      ),
    }),
    [caption, rowTestId, classes.visuallyHidden],
  );

  return (
    <div className={classes.table}>
      <Table<T>
        columns={columns}
        data={rows}
        emptyContent={empty}
        components={components}
        options={{
          toolbar: false,
          search: false,
          paging: false,
          sorting: false,
          draggable: false,
          padding: 'dense',
          // Backstage's header look, which replacing the header component drops.
          headerStyle: {
            position: 'static',
            whiteSpace: 'nowrap',
            fontWeight: theme.typography.fontWeightBold,
            textTransform: 'uppercase',
            borderTop: `1px solid ${theme.palette.grey.A100}`,
          },
        }}
      />
    </div>
  );
}
