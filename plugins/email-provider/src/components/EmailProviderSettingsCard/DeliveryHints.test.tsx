import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { DeliveryHints } from './DeliveryHints';

describe('DeliveryHints', () => {
  it('underlines its link, which sits inside a sentence (axe link-in-text-block)', async () => {
    renderInTestApp(<DeliveryHints />);
    const link = screen.getByRole('link', {
      name: /How the portal delivers mail/,
    });
    expect(getComputedStyle(link).textDecoration).toBe('underline');
  });
});
