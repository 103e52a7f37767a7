// These tests hand script URLs to the code to show that it refuses them.
/* eslint-disable no-script-url */
import { Notification } from '@backstage/plugin-notifications-common';
import { sendEmailRequestSchema } from '@email-provider/backstage-plugin-email-provider-common';
import { renderDigestEmail } from './digestEmail';
import { PortalDetails } from './notificationEmail';

const portal: PortalDetails = {
  baseUrl: 'https://portal.example.com',
  title: 'ACME Portal',
  settingsUrl: 'https://portal.example.com/settings/notifications',
};

function notification(
  id: number,
  payload: Partial<Notification['payload']> = {},
): Notification {
  return {
    id: `n-${id}`,
    user: 'user:default/ada',
    created: new Date(Date.UTC(2026, 11, 6, 10, id)),
    origin: 'plugin:release-bot',
    payload: { title: `Release 1.${id} is out`, severity: 'low', ...payload },
  };
}

describe('renderDigestEmail', () => {
  it('lists each notification with its severity unless normal, description and link', () => {
    const email = renderDigestEmail(
      [
        notification(3, {
          severity: 'normal',
          description: 'Deployed by CI.\nSee the notes.',
          link: '/catalog/default/component/web',
        }),
        notification(2, { link: 'https://ci.example.com/builds/2' }),
        notification(1),
      ],
      portal,
    );
    expect(email.subject).toBe('ACME Portal: 3 notifications');
    expect(email.text).toBe(`ACME Portal

You have 3 notifications:

- Release 1.3 is out
  Deployed by CI.
  See the notes.
  Open: https://portal.example.com/catalog/default/component/web

- [Low] Release 1.2 is out
  Open: https://ci.example.com/builds/2

- [Low] Release 1.1 is out

All your notifications: https://portal.example.com/notifications

-- 
You received this email because of notifications for you in ACME Portal, collected in one email.
To stop these emails, turn off the Email channel in your notification settings: https://portal.example.com/settings/notifications
`);
    expect(email.html).toContain(
      '<strong><a href="https://portal.example.com/catalog/default/component/web" style="color:#1f5493;">Release 1.3 is out</a></strong>',
    );
    expect(email.html).toContain('Deployed by CI.<br>See the notes.');
    expect(email.html).toMatch(
      />Low<\/span> <strong><a href="https:\/\/ci\.example\.com\/builds\/2"/,
    );
    expect(email.html).toContain('<strong>Release 1.1 is out</strong>');
    expect(email.html).toContain(
      'href="https://portal.example.com/settings/notifications"',
    );
    expect(email.html).not.toMatch(/Normal/i);
    // What the email provider accepts.
    expect(() =>
      sendEmailRequestSchema.parse({ to: ['ada@example.com'], ...email }),
    ).not.toThrow();
  });

  it('says "1 notification" for one', () => {
    const email = renderDigestEmail([notification(1)], portal);
    expect(email.subject).toBe('ACME Portal: 1 notification');
    expect(email.text).toContain('You have 1 notification:');
  });

  it('escapes every value and leaves out links that are not http(s)', () => {
    const email = renderDigestEmail(
      [
        notification(1, {
          title: '<script>alert(1)</script>',
          description: '<img src=x onerror="alert(2)">',
          link: 'javascript:alert(3)',
          severity: 'critical',
        }),
        notification(2, { link: 'data:text/html,<b>x</b>' }),
      ],
      { ...portal, title: 'ACME <b>Portal</b>\r\nBcc: eve@example.com' },
    );
    expect(email.subject).toBe(
      'ACME <b>Portal</b> Bcc: eve@example.com: 2 notifications',
    );
    expect(email.html).not.toMatch(/<script|<img|<b>|javascript:|data:/i);
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain(
      '&lt;img src=x onerror=&quot;alert(2)&quot;&gt;',
    );
    expect(email.html).toContain('ACME &lt;b&gt;Portal&lt;/b&gt;');
    expect(email.html).toContain('>Critical</span>');
    expect(email.text).not.toMatch(/javascript:|data:/);
    expect(email.text).toContain('- [Critical] <script>alert(1)</script>');
  });

  it('lists maxItems and links to the rest', () => {
    const notifications = Array.from({ length: 7 }, (_, i) =>
      notification(7 - i),
    );
    const email = renderDigestEmail(notifications, portal, { maxItems: 5 });
    expect(email.subject).toBe('ACME Portal: 7 notifications');
    expect(email.text).toContain('Release 1.3 is out');
    expect(email.text).not.toContain('Release 1.2 is out');
    expect(email.text).toContain(
      'And 2 more: https://portal.example.com/notifications',
    );
    expect(email.html).toContain(
      '<a href="https://portal.example.com/notifications">And 2 more</a>',
    );
    expect(email.html.match(/<li /g)).toHaveLength(5);
  });

  it('shows the start of a long description', () => {
    const email = renderDigestEmail(
      [notification(1, { description: 'x'.repeat(2000) })],
      portal,
    );
    expect(email.text).toContain(`  ${'x'.repeat(499)}…\n`);
    expect(email.text).not.toContain('x'.repeat(500));
  });
});
