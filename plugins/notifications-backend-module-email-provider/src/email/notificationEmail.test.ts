// These tests hand script URLs to the code to show that it refuses them.
/* eslint-disable no-script-url */
import { Notification } from '@backstage/plugin-notifications-common';
import { sendEmailRequestSchema } from '@email-provider/backstage-plugin-email-provider-common';
import {
  absoluteHttpLink,
  MAX_SUBJECT_LENGTH,
  notificationsPageUrl,
  PortalDetails,
  renderNotificationEmail,
  subjectLine,
} from './notificationEmail';

const portal: PortalDetails = {
  baseUrl: 'https://portal.example.com',
  title: 'ACME Portal',
  settingsUrl: 'https://portal.example.com/settings/notifications',
};

function notification(
  payload: Partial<Notification['payload']> = {},
  user: string | null = 'user:default/ada',
): Notification {
  return {
    id: 'a3c1a0de-5c1b-4b1e-9d4e-2f0c8f1e7a11',
    user,
    created: new Date('2026-11-29T10:00:00Z'),
    origin: 'plugin:release-bot',
    payload: { title: 'Release 1.2 is out', severity: 'normal', ...payload },
  };
}

describe('subjectLine', () => {
  it('keeps a plain title as it is', () => {
    expect(subjectLine('Release 1.2 is out')).toBe('Release 1.2 is out');
  });

  it('turns line breaks and control characters into single spaces', () => {
    expect(
      subjectLine('  Build\r\nBcc: eve@evil.example\n\tfailed\u2028now\u0000 '),
    ).toBe('Build Bcc: eve@evil.example failed now');
  });

  it('cuts a long title to the limit with an ellipsis', () => {
    const subject = subjectLine('x'.repeat(5000));
    expect(subject).toHaveLength(MAX_SUBJECT_LENGTH);
    expect(subject.endsWith('x…')).toBe(true);
  });

  it('never cuts a character made of a surrogate pair in half', () => {
    const subject = subjectLine(`${'a'.repeat(996)}😀😀😀`);
    expect(subject).toBe(`${'a'.repeat(996)}…`);
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('absoluteHttpLink', () => {
  it.each([
    [
      '/catalog/default/component/web',
      'https://portal.example.com/catalog/default/component/web',
    ],
    [
      'catalog/x?tab=ci#run-3',
      'https://portal.example.com/catalog/x?tab=ci#run-3',
    ],
    ['https://ci.example.com/job/42', 'https://ci.example.com/job/42'],
    ['http://ci.example.com/job/42', 'http://ci.example.com/job/42'],
  ])('makes %s absolute: %s', (link, expected) => {
    expect(absoluteHttpLink(link, 'https://portal.example.com')).toBe(expected);
  });

  it('keeps the base path of a portal under a path, as the notifications backend does', () => {
    expect(
      absoluteHttpLink('/catalog/x', 'https://example.com/backstage'),
    ).toBe('https://example.com/backstage/catalog/x');
    expect(
      absoluteHttpLink('//catalog/x', 'https://example.com/backstage/'),
    ).toBe('https://example.com/backstage/catalog/x');
  });

  it.each([
    'javascript:alert(1)',
    ' JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'mailto:eve@evil.example',
    'file:///etc/passwd',
    'ftp://files.example.com/x',
    'vbscript:msgbox(1)',
  ])('refuses %s', link => {
    expect(
      absoluteHttpLink(link, 'https://portal.example.com'),
    ).toBeUndefined();
  });

  it('has nothing for no link', () => {
    expect(
      absoluteHttpLink(undefined, 'https://portal.example.com'),
    ).toBeUndefined();
    expect(absoluteHttpLink('', 'https://portal.example.com')).toBeUndefined();
  });

  it('encodes what would break out of an attribute', () => {
    const link = absoluteHttpLink(
      '/search?q="><script>alert(1)</script>',
      'https://portal.example.com',
    )!;
    expect(link).not.toMatch(/[<>"]/);
  });
});

describe('notificationsPageUrl', () => {
  it('is the notifications page of the portal', () => {
    expect(notificationsPageUrl('https://portal.example.com')).toBe(
      'https://portal.example.com/notifications',
    );
    expect(notificationsPageUrl('https://example.com/backstage/')).toBe(
      'https://example.com/backstage/notifications',
    );
  });
});

describe('renderNotificationEmail', () => {
  it('says what happened, where to see it and how to stop these emails', () => {
    const email = renderNotificationEmail(
      notification({
        description:
          'Version 1.2 of web is deployed.\nRelease notes are attached to the release.',
        link: '/catalog/default/component/web',
      }),
      portal,
    );
    expect(email.subject).toBe('Release 1.2 is out');
    expect(email.text).toBe(
      [
        'ACME Portal',
        '',
        'Release 1.2 is out',
        '',
        'Version 1.2 of web is deployed.',
        'Release notes are attached to the release.',
        '',
        'Open: https://portal.example.com/catalog/default/component/web',
        'All your notifications: https://portal.example.com/notifications',
        '',
        '-- ',
        'You received this email because of a notification for you in ACME Portal.',
        'To stop these emails, turn off the Email channel in your notification settings: https://portal.example.com/settings/notifications',
        '',
      ].join('\n'),
    );
    expect(email.html).toContain(
      '<h1 style="margin:0 0 16px 0;font-size:20px;line-height:1.3;">Release 1.2 is out</h1>',
    );
    expect(email.html).toContain(
      'Version 1.2 of web is deployed.<br>Release notes are attached to the release.',
    );
    expect(email.html).toContain(
      'href="https://portal.example.com/catalog/default/component/web"',
    );
    expect(email.html).toContain(
      'href="https://portal.example.com/notifications"',
    );
    expect(email.html).toContain(
      'href="https://portal.example.com/settings/notifications"',
    );
    expect(email.html).toContain(
      'turn off the Email channel in your notification settings',
    );
    expect(email.html).not.toContain('Severity');
    expect(email.text).not.toContain('Severity');
  });

  it('links to the notifications page when the notification has no link of its own', () => {
    const email = renderNotificationEmail(notification(), portal);
    expect(email.text).not.toContain('Open:');
    expect(email.text).toContain(
      'All your notifications: https://portal.example.com/notifications',
    );
    expect(email.html).toContain(
      'href="https://portal.example.com/notifications" style=',
    );
    expect(email.html).toContain('View in ACME Portal</a>');
  });

  it('names the severity unless it is normal', () => {
    const critical = renderNotificationEmail(
      notification({ severity: 'critical' }),
      portal,
    );
    expect(critical.text).toContain('ACME Portal\nSeverity: Critical\n');
    expect(critical.html).toContain('Severity: Critical</p>');
    expect(
      renderNotificationEmail(notification({ severity: 'low' }), portal).text,
    ).toContain('Severity: Low');
  });

  it('says a broadcast went to everyone', () => {
    const email = renderNotificationEmail(notification({}, null), portal);
    expect(email.text).toContain(
      'because of a notification to everyone in ACME Portal.',
    );
  });

  it('escapes markup in the title, the description and the portal name', () => {
    const email = renderNotificationEmail(
      notification({
        title: '<script>alert("title")</script>',
        description:
          '<img src=x onerror="alert(1)"> & <a href="https://evil.example">click</a>',
      }),
      { ...portal, title: 'ACME <b>Portal</b>' },
    );
    expect(email.html).not.toMatch(/<script|<img|<b>|<a href="https:\/\/evil/i);
    expect(email.html).toContain(
      '&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;',
    );
    expect(email.html).toContain(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;',
    );
    expect(email.html).toContain('ACME &lt;b&gt;Portal&lt;/b&gt;');
    // The subject and the text are plain text: shown as they are, never interpreted.
    expect(email.subject).toBe('<script>alert("title")</script>');
    expect(email.text).toContain('<img src=x onerror="alert(1)">');
  });

  it('leaves out a link that is not http(s)', () => {
    const email = renderNotificationEmail(
      notification({ link: 'javascript:alert(document.cookie)' }),
      portal,
    );
    expect(email.html).not.toContain('javascript:');
    expect(email.text).not.toContain('javascript:');
    expect(email.html).toContain(
      'href="https://portal.example.com/notifications"',
    );
  });

  it('cannot break out of the link attribute', () => {
    const email = renderNotificationEmail(
      notification({
        link: `https://ci.example.com/x?a='" onmouseover="alert(1)`,
      }),
      portal,
    );
    const hrefs = [...email.html.matchAll(/<a href="([^"]*)"/g)].map(m => m[1]);
    expect(hrefs[0]).toMatch(/^https:\/\/ci\.example\.com\/x\?a=/);
    expect(email.html).not.toContain('" onmouseover=');
  });

  it('gives a one-line subject for a multi-line title, and a fallback for an empty one', () => {
    expect(
      renderNotificationEmail(
        notification({ title: 'Build\r\nfailed' }),
        portal,
      ).subject,
    ).toBe('Build failed');
    expect(
      renderNotificationEmail(notification({ title: ' \n ' }), portal).subject,
    ).toBe('Notification from ACME Portal');
  });

  it('produces what the email provider accepts', () => {
    const email = renderNotificationEmail(
      notification({
        title: `${'t'.repeat(3000)}\n`,
        description: 'd'.repeat(10_000),
      }),
      { ...portal, title: 'A\nportal' },
    );
    const result = sendEmailRequestSchema.safeParse({
      to: ['ada@example.com'],
      ...email,
      idempotencyKey: 'notification:x:user:default/ada',
      category: 'notification',
    });
    expect(result.success).toBe(true);
  });
});
