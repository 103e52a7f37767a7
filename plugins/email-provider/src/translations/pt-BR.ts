import type { EmailProviderMessageKey } from '../translation';

/**
 * Brazilian Portuguese, in the terms of Portuguese-language email admin consoles. The type
 * refuses a missing or unknown key; `translation.test.ts` checks the same at run time, for every
 * language the plugin brings.
 */
export const emailProviderMessagesPtBr: Record<
  EmailProviderMessageKey,
  string
> = {
  // SECTION page
  'page.title': 'Provedor de e-mail',
  'page.subtitle': 'Como o portal envia e-mails: SMTP, Microsoft 365 ou nenhum',
  'page.tabs.settings': 'Configurações',
  'page.tabs.deliveries': 'Entregas',
  'page.sidebarItem': 'Provedor de e-mail',
  'page.adminsNote.configured':
    'Os administradores do provedor de e-mail são definidos em {{adminsKey}} na configuração do portal: somente os usuários e grupos listados ali podem ver e alterar estas configurações, e a política de permissões do portal pode restringir isso ainda mais.',
  'page.adminsNote.notConfigured':
    'Nenhum administrador do provedor de e-mail está definido em {{adminsKey}}: somente a política de permissões do portal decide quem pode ver e alterar estas configurações e, com a política que permite tudo, com a qual um portal novo começa, isso inclui todos os usuários conectados. Liste os administradores em {{adminsKey}} na configuração do portal.',
  'page.whoDecides.configured':
    'somente os administradores do provedor de e-mail listados em {{adminsKey}} a têm. Peça a um deles se precisar de uma alteração.',
  'page.whoDecides.notConfigured':
    'ninguém está listado em {{adminsKey}}, então a política de permissões do portal decide quem a tem. Peça aos administradores do portal se precisar de uma alteração.',
  'page.credentialExpiry.secret.renewHere.expired':
    'O segredo do cliente expirou em {{day}}: o Microsoft 365 passou a recusá-lo, então o portal não envia nenhum e-mail. Para voltar a enviar, crie um novo no Entra e cole-o aqui.',
  'page.credentialExpiry.secret.renewHere.expiresToday':
    'O segredo do cliente expira hoje, {{day}}: crie um novo no Entra e cole-o aqui.',
  'page.credentialExpiry.secret.renewHere.expiresTomorrow':
    'O segredo do cliente expira amanhã, {{day}}: crie um novo no Entra e cole-o aqui.',
  'page.credentialExpiry.secret.renewHere.expiresInDays_one':
    'O segredo do cliente expira em {{day}}, daqui a {{count}} dia: crie um novo no Entra e cole-o aqui.',
  'page.credentialExpiry.secret.renewHere.expiresInDays_other':
    'O segredo do cliente expira em {{day}}, daqui a {{count}} dias: crie um novo no Entra e cole-o aqui.',
  'page.credentialExpiry.secret.renewInConfig.expired':
    'O segredo do cliente expirou em {{day}}: o Microsoft 365 passou a recusá-lo, então o portal não envia nenhum e-mail. Para voltar a enviar, crie um novo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.secret.renewInConfig.expiresToday':
    'O segredo do cliente expira hoje, {{day}}: crie um novo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.secret.renewInConfig.expiresTomorrow':
    'O segredo do cliente expira amanhã, {{day}}: crie um novo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.secret.renewInConfig.expiresInDays_one':
    'O segredo do cliente expira em {{day}}, daqui a {{count}} dia: crie um novo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.secret.renewInConfig.expiresInDays_other':
    'O segredo do cliente expira em {{day}}, daqui a {{count}} dias: crie um novo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.certificate.renewHere.expired':
    'O certificado expirou em {{day}}: o Microsoft 365 passou a recusá-lo, então o portal não envia nenhum e-mail. Para voltar a enviar, crie um novo, carregue-o no aplicativo no Entra e cole-o aqui com a chave privada.',
  'page.credentialExpiry.certificate.renewHere.expiresToday':
    'O certificado expira hoje, {{day}}: crie um novo, carregue-o no aplicativo no Entra e cole-o aqui com a chave privada.',
  'page.credentialExpiry.certificate.renewHere.expiresTomorrow':
    'O certificado expira amanhã, {{day}}: crie um novo, carregue-o no aplicativo no Entra e cole-o aqui com a chave privada.',
  'page.credentialExpiry.certificate.renewHere.expiresInDays_one':
    'O certificado expira em {{day}}, daqui a {{count}} dia: crie um novo, carregue-o no aplicativo no Entra e cole-o aqui com a chave privada.',
  'page.credentialExpiry.certificate.renewHere.expiresInDays_other':
    'O certificado expira em {{day}}, daqui a {{count}} dias: crie um novo, carregue-o no aplicativo no Entra e cole-o aqui com a chave privada.',
  'page.credentialExpiry.certificate.renewInConfig.expired':
    'O certificado expirou em {{day}}: o Microsoft 365 passou a recusá-lo, então o portal não envia nenhum e-mail. Para voltar a enviar, crie um novo, carregue-o no aplicativo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.certificate.renewInConfig.expiresToday':
    'O certificado expira hoje, {{day}}: crie um novo, carregue-o no aplicativo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.certificate.renewInConfig.expiresTomorrow':
    'O certificado expira amanhã, {{day}}: crie um novo, carregue-o no aplicativo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.certificate.renewInConfig.expiresInDays_one':
    'O certificado expira em {{day}}, daqui a {{count}} dia: crie um novo, carregue-o no aplicativo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  'page.credentialExpiry.certificate.renewInConfig.expiresInDays_other':
    'O certificado expira em {{day}}, daqui a {{count}} dias: crie um novo, carregue-o no aplicativo no Entra, defina-o na configuração ({{configKey}}) e reinicie o back-end do portal.',
  // END page
  // SECTION fields
  'fields.provider.none': 'Nenhum',
  'fields.provider.smtp': 'SMTP',
  'fields.provider.microsoft365': 'Microsoft 365',
  'fields.security.starttls': 'StartTLS',
  'fields.security.tls': 'SSL/TLS',
  'fields.security.none': 'Nenhuma',
  'fields.cloud.global': 'Global',
  'fields.cloud.usgov-high': 'Governo dos EUA (GCC High)',
  'fields.cloud.usgov-dod': 'Governo dos EUA (DoD)',
  'fields.cloud.china': 'China (21Vianet)',
  'fields.credential.secret': 'Segredo',
  'fields.credential.certificate': 'Certificado',
  'fields.summary.smtp': 'SMTP ({{host}}:{{port}}, {{security}})',
  'fields.summary.smtpWithoutAuthentication':
    'SMTP ({{host}}:{{port}}, {{security}}, sem autenticação)',
  'fields.summary.noEncryption': 'sem criptografia',
  'fields.summary.microsoft365': 'Microsoft 365 ({{from}})',
  'fields.smtp.host.label': 'Endereço do servidor',
  'fields.smtp.host.help':
    'Nome do host ou endereço IP do servidor SMTP, por exemplo smtp.gmail.com ou smtp.office365.com.',
  'fields.smtp.port.label': 'Porta',
  'fields.smtp.port.help':
    'Normalmente 587 (StartTLS), 465 (SSL/TLS) ou 25 (Nenhuma).',
  'fields.smtp.port.otherSecurityExpected':
    'A porta {{port}} normalmente usa {{expected}}, não {{chosen}}. ',
  'fields.smtp.security.label': 'Segurança',
  'fields.smtp.security.help.starttls':
    'Passa para TLS antes de fazer login; nunca continua sem ele.',
  'fields.smtp.security.help.tls':
    'Criptografado desde o primeiro byte (SMTPS).',
  'fields.smtp.security.help.none':
    'Sem criptografia, inclusive da senha: use somente em uma rede confiável.',
  'fields.smtp.from.label': 'Endereço de e-mail do remetente',
  'fields.smtp.from.help':
    'O endereço de onde sai todo e-mail do portal; o servidor precisa permitir que esta conta envie em nome dele.',
  'fields.smtp.fromName.label': 'Nome do remetente',
  'fields.smtp.fromName.help':
    'Opcional: o nome que os destinatários veem, por exemplo Portal ACME.',
  'fields.smtp.authentication.label': 'O servidor exige autenticação',
  'fields.smtp.authentication.helpOn':
    'O portal faz login com nome de usuário e senha. Desmarque para um relay que aceita o portal pelo endereço de rede.',
  'fields.smtp.authentication.helpOff':
    'Nenhum nome de usuário ou senha é enviado: para um relay que aceita o portal pelo endereço de rede (um Postfix interno, um conector do Exchange, o relay SMTP do Google com lista de IPs permitidos).',
  'fields.smtp.usernameSameAsFrom.label':
    'Igual ao endereço de e-mail do remetente',
  'fields.smtp.username.label': 'Nome de usuário',
  'fields.smtp.username.help':
    'O login da conta SMTP: um endereço ou um nome de login simples, como uma chave de acesso do Amazon SES.',
  'fields.smtp.username.helpSameAsFrom':
    'Faz login com o endereço de e-mail do remetente. Desmarque "{{sameAsFrom}}" para fazer login com outro nome de usuário.',
  'fields.smtp.password.label': 'Senha',
  'fields.smtp.password.help':
    'No Gmail e no Google Workspace, uma senha de app. ',
  'fields.smtp.password.authenticationEnabled':
    'Digite a senha: as configurações salvas não enviam autenticação, então nenhuma senha está salva.',
  'fields.microsoft365.intro':
    'O portal envia como uma caixa de correio do seu locatário pelo Microsoft Graph, fazendo login como um registro de aplicativo do Microsoft Entra com um segredo do cliente ou um certificado. O aplicativo precisa da permissão de {{application}} {{permission}} do Microsoft Graph, com consentimento do administrador (Centro de administração do Entra → Registros de aplicativo → seu aplicativo → Permissões de API → Conceder consentimento do administrador). Para limitar as caixas de correio em nome das quais ele pode enviar, adicione uma política de acesso de aplicativo do Exchange.',
  'fields.microsoft365.introApplication': 'aplicativo',
  'fields.microsoft365.from.label': 'Endereço de e-mail do remetente',
  'fields.microsoft365.from.help':
    'A caixa de correio em nome da qual o portal envia: um nome principal de usuário, como reports@contoso.onmicrosoft.com, com uma caixa de correio do Exchange Online (uma caixa de correio compartilhada serve).',
  'fields.microsoft365.tenantId.label': 'ID do locatário',
  'fields.microsoft365.tenantId.help':
    'Centro de administração do Entra → Visão geral → ID do locatário (um GUID), ou um domínio verificado, como contoso.onmicrosoft.com.',
  'fields.microsoft365.clientId.label': 'ID do cliente',
  'fields.microsoft365.clientId.help':
    'Registros de aplicativo → seu aplicativo → Visão geral → ID do aplicativo (cliente), um GUID.',
  'fields.microsoft365.cloud.label': 'Nuvem',
  'fields.microsoft365.cloud.help':
    'Onde o locatário está: Global para a maioria dos locatários. Locatários do Governo dos EUA e da China fazem login e enviam pelos próprios hosts da Microsoft.',
  'fields.microsoft365.credential.label': 'Credencial',
  'fields.microsoft365.credential.help.secret':
    'Um segredo do cliente do registro de aplicativo. Locatários que proíbem segredos do cliente usam um certificado.',
  'fields.microsoft365.credential.help.certificate':
    'Um certificado cuja chave privada assina o login, como a Microsoft recomenda; o aplicativo no Entra tem o certificado, o portal tem a chave privada.',
  'fields.microsoft365.clientSecret.label': 'Segredo do cliente',
  'fields.microsoft365.clientSecret.help':
    'Registros de aplicativo → seu aplicativo → Certificados e segredos: o Valor do segredo (mostrado uma única vez, quando é criado), não a ID do segredo. ',
  'fields.microsoft365.clientSecret.credentialChanged':
    'Digite um segredo do cliente: as configurações salvas fazem login com um certificado, que será excluído ao salvar. Armazenado criptografado e nunca mais exibido.',
  'fields.microsoft365.clientSecretExpiresAt.label': 'Validade do segredo',
  'fields.microsoft365.clientSecretExpiresAt.help':
    'Opcional: copie da coluna Expira em no Entra (Registros de aplicativo → seu aplicativo → Certificados e segredos), e a página avisa 30 dias antes de o segredo expirar.',
  'fields.microsoft365.clientCertificatePem.label':
    'Certificado e chave privada (PEM)',
  'fields.microsoft365.clientCertificatePem.help':
    'O certificado (-----BEGIN CERTIFICATE-----) seguido da chave privada (-----BEGIN PRIVATE KEY-----, sem frase secreta); carregue só o certificado no aplicativo no Entra → Certificados e segredos. ',
  'fields.microsoft365.clientCertificatePem.credentialChanged':
    'Cole o certificado e a chave privada: as configurações salvas fazem login com um segredo do cliente, que será excluído ao salvar. Armazenado criptografado e nunca mais exibido.',
  'fields.microsoft365.clientCertificatePem.savedDetails':
    'Impressão digital {{thumbprint}}, assunto {{subject}}, expira em {{day}}.',
  'fields.microsoft365.largeMessages.label':
    'Enviar mensagens grandes (acima de 3 MB) por sessões de upload',
  'fields.microsoft365.largeMessages.help':
    'Requer a permissão de aplicativo Mail.ReadWrite além de Mail.Send',
  'fields.secret.savedPlaceholder': '•••••••• salvo',
  'fields.secret.setPlaceholder': '•••••••• definido',
  'fields.secret.setInConfig':
    'Definido na configuração: {{key}} (nunca exibido).{{details}}',
  'fields.secret.notSetInConfig': 'Não definido na configuração ({{key}}).',
  'fields.secret.storedEncrypted':
    '{{help}}Armazenado criptografado e nunca mais exibido.',
  'fields.secret.password.saved':
    'Há uma senha salva.{{details}} Deixe em branco para mantê-la ou digite uma nova para substituí-la.',
  'fields.secret.password.enterAgain':
    'Digite a senha novamente: o endereço do servidor, a porta, a segurança ou o nome de usuário mudou, e uma senha salva nunca é enviada a um novo destino.',
  'fields.secret.clientSecret.saved':
    'Há um segredo do cliente salvo.{{details}} Deixe em branco para mantê-lo ou digite um novo para substituí-lo.',
  'fields.secret.clientSecret.enterAgain':
    'Digite o segredo do cliente novamente: o ID do locatário, o ID do cliente ou a nuvem mudou, e um segredo do cliente salvo nunca é enviado a um novo destino.',
  'fields.secret.certificate.saved':
    'Há um certificado salvo.{{details}} Deixe em branco para mantê-lo ou cole um novo para substituí-lo.',
  'fields.secret.certificate.enterAgain':
    'Cole o certificado novamente: o ID do locatário, o ID do cliente ou a nuvem mudou, e um certificado salvo nunca é enviado a um novo destino.',
  'fields.errors.portNotWholeNumber':
    'A porta deve ser um número inteiro entre 1 e 65535',
  'fields.errors.schema.hostRequired': 'O endereço do servidor é obrigatório',
  'fields.errors.schema.hostInvalid':
    'O endereço do servidor deve ser um nome de host ou um endereço IP, sem esquema, porta, caminho ou espaços (por exemplo smtp.example.com)',
  'fields.errors.schema.portRequired': 'A porta é obrigatória',
  'fields.errors.schema.portOutOfRange': 'A porta deve estar entre 1 e 65535',
  'fields.errors.schema.fromRequired':
    'O endereço de e-mail do remetente é obrigatório',
  'fields.errors.schema.fromTooLong':
    'O endereço de e-mail do remetente deve ter no máximo 254 caracteres',
  'fields.errors.schema.fromInvalid':
    'O endereço de e-mail do remetente deve ser um único endereço simples, como nome@example.com, sem nome de exibição, comentários ou aspas',
  'fields.errors.schema.fromNameTooLong':
    'O nome do remetente deve ter no máximo 200 caracteres',
  'fields.errors.schema.fromNameNotOneLine':
    'O nome do remetente deve ter uma única linha, sem caracteres de controle',
  'fields.errors.schema.usernameRequired':
    'O nome de usuário é obrigatório, a menos que seja o endereço de e-mail do remetente',
  'fields.errors.schema.usernameTooLong':
    'O nome de usuário deve ter no máximo 254 caracteres',
  'fields.errors.schema.usernameInvalid':
    'O nome de usuário deve ser um único endereço simples (nome@example.com) ou um nome de login, sem espaços, aspas, sinais de menor e maior ou nome de exibição',
  'fields.errors.schema.passwordTooLong':
    'A senha deve ter no máximo 1024 caracteres',
  'fields.errors.schema.passwordControlCharacters':
    'A senha não pode conter quebras de linha nem caracteres de controle',
  'fields.errors.schema.tenantIdRequired': 'O ID do locatário é obrigatório',
  'fields.errors.schema.tenantIdInvalid':
    'O ID do locatário deve ser o ID do diretório (locatário), um GUID como 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f, ou um domínio verificado, como contoso.onmicrosoft.com',
  'fields.errors.schema.clientIdRequired': 'O ID do cliente é obrigatório',
  'fields.errors.schema.clientIdInvalid':
    'O ID do cliente deve ser o ID do aplicativo (cliente), um GUID como 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  'fields.errors.schema.clientSecretTooLong':
    'O segredo do cliente deve ter no máximo 1024 caracteres',
  'fields.errors.schema.clientSecretControlCharacters':
    'O segredo do cliente não pode conter quebras de linha nem caracteres de controle',
  'fields.errors.schema.clientSecretExpiresAtInvalid':
    'A validade do segredo do cliente deve ser uma data como 2027-06-30',
  'fields.errors.schema.certificateTooLong':
    'O certificado e a chave privada devem ter no máximo 32768 caracteres',
  'fields.errors.schema.certificateWithoutCertificate':
    'O certificado e a chave privada devem conter o certificado, de -----BEGIN CERTIFICATE----- até -----END CERTIFICATE-----',
  'fields.errors.schema.certificateEncryptedKey':
    'A chave privada não pode estar protegida por frase secreta; exporte-a sem frase secreta',
  'fields.errors.schema.certificateWithoutPrivateKey':
    'O certificado e a chave privada devem conter a chave privada, de -----BEGIN PRIVATE KEY----- até -----END PRIVATE KEY-----',
  'fields.errors.secretRequired.password.missing':
    'A senha é obrigatória para ativar o SMTP',
  'fields.errors.secretRequired.password.destination-changed':
    'A senha é obrigatória: o endereço do servidor, a porta, a segurança ou o nome de usuário mudou, e uma senha salva nunca é enviada a um novo destino',
  'fields.errors.secretRequired.password.authentication-enabled':
    'A senha é obrigatória: as configurações salvas não enviam autenticação, então nenhuma senha está salva',
  'fields.errors.secretRequired.clientSecret.missing':
    'O segredo do cliente é obrigatório para ativar o Microsoft 365',
  'fields.errors.secretRequired.clientSecret.destination-changed':
    'O segredo do cliente é obrigatório: o ID do locatário, o ID do cliente ou a nuvem mudou, e um segredo salvo nunca é enviado a outro aplicativo ou nuvem',
  'fields.errors.secretRequired.clientSecret.credential-changed':
    'O segredo do cliente é obrigatório: as configurações salvas fazem login com um certificado, não com um segredo do cliente',
  'fields.errors.secretRequired.certificate.missing':
    'O certificado e a chave privada são obrigatórios para ativar o Microsoft 365',
  'fields.errors.secretRequired.certificate.destination-changed':
    'O certificado e a chave privada são obrigatórios: o ID do locatário, o ID do cliente ou a nuvem mudou, e um certificado salvo nunca é enviado a outro aplicativo ou nuvem',
  'fields.errors.secretRequired.certificate.credential-changed':
    'O certificado e a chave privada são obrigatórios: as configurações salvas fazem login com um segredo do cliente, não com um certificado',
  // END fields
  // SECTION settings
  'settings.notAllowed.title': 'Sem permissão',
  'settings.notAllowed.body':
    'Você não tem permissão para ver as configurações do provedor de e-mail: isso exige a permissão {{permission}}, e {{whoDecides}}',
  'settings.title': 'E-mail de saída',
  'settings.loadFailed':
    'Não foi possível carregar as configurações do provedor de e-mail: {{message}}',
  'settings.tryAgain': 'Tentar novamente',
  'settings.formLabel': 'Configurações do provedor de e-mail',
  'settings.provider': 'Provedor',
  'settings.readOnly':
    'Você pode ver estas configurações, mas não alterá-las: isso exige a permissão {{permission}}, que os administradores do provedor de e-mail têm.',
  'settings.noProvider.nothingSaved':
    'Nenhum provedor: o portal não envia e-mails. Escolha SMTP ou Microsoft 365 para configurar um.',
  'settings.noProvider.deletesSaved':
    'Ao salvar “{{none}}”, as configurações salvas de {{provider}} são excluídas e o portal deixa de enviar e-mails.',
  'settings.save': 'Salvar',
  'settings.checkConnection': 'Verificar conexão',
  'settings.sendTestEmail': 'Enviar e-mail de teste',
  'settings.working': 'Processando',
  'settings.saved.active': 'Salvo: {{settings}} é o provedor ativo.',
  'settings.saved.deleted':
    'Salvo: todas as configurações de e-mail foram excluídas e nenhum provedor está ativo.',
  'settings.problem.invalid.save_zero':
    'As configurações não foram salvas: 0 campos precisam de atenção.',
  'settings.problem.invalid.save_one':
    'As configurações não foram salvas: um campo precisa de atenção.',
  'settings.problem.invalid.save_other':
    'As configurações não foram salvas: {{count}} campos precisam de atenção.',
  'settings.problem.invalid.check_zero':
    'A conexão não foi verificada: 0 campos precisam de atenção.',
  'settings.problem.invalid.check_one':
    'A conexão não foi verificada: um campo precisa de atenção.',
  'settings.problem.invalid.check_other':
    'A conexão não foi verificada: {{count}} campos precisam de atenção.',
  'settings.problem.refused':
    'O servidor recusou as configurações; nada foi salvo.',
  'settings.problem.notSaved': 'As configurações não foram salvas.',
  'settings.conflict.heading': 'Outra pessoa alterou as configurações',
  'settings.conflict.body':
    '{{heading}} enquanto você editava; nada foi salvo. Recarregue para ver as alterações dela (o que você digitou aqui será substituído). {{message}}',
  'settings.conflict.reload': 'Recarregar',
  'settings.takenOverByConfig.heading': 'Nada foi salvo',
  'settings.takenOverByConfig.body':
    '{{heading}}: a configuração do portal agora define o provedor de e-mail ({{key}}), então ele não pode ser alterado nesta página. O formulário mostra os valores definidos na configuração; o que você digitou foi descartado.',
  'settings.status.noneHeading': 'Nenhum provedor de e-mail está ativo',
  'settings.status.none': '{{heading}}: o portal não envia e-mails.',
  'settings.status.noneByConfig':
    '{{heading}}: o envio está desativado pela configuração do portal.',
  'settings.status.active': 'Ativo: {{settings}}',
  'settings.status.activeByConfig':
    '{{active}}, definido pela configuração do portal.',
  'settings.status.activeSince':
    '{{active}}, desde {{time}}, alterado por {{user}}.',
  'settings.managedByConfig.fieldHelp': 'Definido na configuração: {{key}}',
  'settings.managedByConfig.off.heading':
    'O envio está desativado pela configuração do portal',
  'settings.managedByConfig.off.body':
    '{{heading}}: {{key}} no app-config define o provedor como none, então o portal não envia e-mails. Isso não pode ser alterado nesta página: para enviar e-mails, altere a configuração e reinicie o backend do portal.',
  'settings.managedByConfig.pinned.heading':
    'Estas configurações vêm da configuração do portal',
  'settings.managedByConfig.pinned.body':
    '{{heading}}: {{key}} no app-config; cada campo indica a sua chave. Elas não podem ser alteradas nesta página: para alterá-las, altere a configuração e reinicie o backend do portal.',
  'settings.confirm.cancel': 'Cancelar',
  'settings.confirm.deleteAll.title':
    'Excluir todas as configurações de e-mail?',
  'settings.confirm.deleteAll.body.plain':
    'Todas as configurações salvas serão excluídas: {{settings}}. O portal não enviará e-mails até que um provedor seja salvo novamente.',
  'settings.confirm.deleteAll.body.password':
    'Todas as configurações salvas serão excluídas: {{settings}}, incluindo a senha. O portal não enviará e-mails até que um provedor seja salvo novamente.',
  'settings.confirm.deleteAll.body.clientSecret':
    'Todas as configurações salvas serão excluídas: {{settings}}, incluindo o segredo do cliente. O portal não enviará e-mails até que um provedor seja salvo novamente.',
  'settings.confirm.deleteAll.body.certificate':
    'Todas as configurações salvas serão excluídas: {{settings}}, incluindo o certificado e a chave privada. O portal não enviará e-mails até que um provedor seja salvo novamente.',
  'settings.confirm.deleteAll.confirm': 'Excluir todas as configurações',
  'settings.confirm.switch.title': 'Mudar para {{next}}?',
  'settings.confirm.switch.body.plain':
    'Ao salvar, {{next}} é ativado e as configurações salvas de {{current}} são excluídas: {{settings}}. Para voltar depois, será preciso informá-las novamente.',
  'settings.confirm.switch.body.password':
    'Ao salvar, {{next}} é ativado e as configurações salvas de {{current}} são excluídas: {{settings}}, incluindo a senha. Para voltar depois, será preciso informá-las novamente.',
  'settings.confirm.switch.body.clientSecret':
    'Ao salvar, {{next}} é ativado e as configurações salvas de {{current}} são excluídas: {{settings}}, incluindo o segredo do cliente. Para voltar depois, será preciso informá-las novamente.',
  'settings.confirm.switch.body.certificate':
    'Ao salvar, {{next}} é ativado e as configurações salvas de {{current}} são excluídas: {{settings}}, incluindo o certificado e a chave privada. Para voltar depois, será preciso informá-las novamente.',
  'settings.confirm.switch.confirm':
    'Excluir as configurações de {{current}} e mudar',
  'settings.unsavedChanges.title': 'Sair sem salvar?',
  'settings.unsavedChanges.body':
    'As configurações do provedor de e-mail têm alterações não salvas; se você sair desta página, elas serão descartadas.',
  'settings.unsavedChanges.leave': 'Sair',
  'settings.unsavedChanges.stay': 'Ficar',
  'settings.testEmail.title': 'Enviar um e-mail de teste',
  'settings.testEmail.noProvider':
    'Nenhum provedor de e-mail foi salvo ainda: salve primeiro as configurações de SMTP ou Microsoft 365.',
  'settings.testEmail.throughSaved':
    'O e-mail de teste é enviado agora com as configurações salvas: {{settings}}.',
  'settings.testEmail.throughConfig':
    'O e-mail de teste é enviado agora com as configurações definidas na configuração do portal: {{settings}}.',
  'settings.testEmail.unsavedChanges':
    'O formulário tem alterações não salvas; o teste usa as configurações salvas. Salve primeiro para testar as suas alterações.',
  'settings.testEmail.recipient': 'Destinatário',
  'settings.testEmail.recipientHelp':
    'O endereço que deve receber o e-mail de teste.',
  'settings.testEmail.recipientRequired': 'O destinatário é obrigatório',
  'settings.testEmail.recipientTooLong':
    'O destinatário deve ter no máximo {{max, number}} caracteres',
  'settings.testEmail.recipientInvalid':
    'O destinatário deve ser um único endereço simples, como nome@exemplo.com, sem nome de exibição, comentários ou aspas',
  'settings.testEmail.recipientRefused':
    'O servidor recusou o destinatário: {{message}}',
  'settings.testEmail.sending': 'Enviando…',
  'settings.testEmail.sent.heading': 'E-mail de teste enviado.',
  'settings.testEmail.sent.body':
    '{{heading}} O provedor o aceitou em {{durationMs, number}} ms; ID da mensagem: {{messageId}}. Verifique a caixa de entrada do destinatário e também a pasta de spam.',
  'settings.testEmail.notSent.heading': 'O e-mail de teste não foi enviado.',
  'settings.testEmail.notSent.body': '{{heading}} {{reason}}',
  'settings.testEmail.refused.rateLimited':
    'Limite atingido: e-mails de teste demais.',
  'settings.testEmail.refused.noActiveProvider':
    'Nenhum provedor de e-mail está ativo.',
  'settings.testEmail.refused.noActiveProviderHelp':
    'Salve primeiro as configurações de SMTP ou Microsoft 365 e depois envie o e-mail de teste.',
  'settings.testEmail.refused.notAllowed': 'Não permitido.',
  'settings.testEmail.refused.notSent': 'O e-mail de teste não foi enviado.',
  'settings.testEmail.refused.body': '{{heading}} {{message}}',
  'settings.testEmail.close': 'Fechar',
  'settings.testEmail.send': 'Enviar',
  'settings.connectionCheck.running.saved':
    'Verificando a conexão das configurações salvas…',
  'settings.connectionCheck.running.draft':
    'Verificando a conexão das configurações não salvas…',
  'settings.connectionCheck.running.config':
    'Verificando a conexão das configurações definidas na configuração…',
  'settings.connectionCheck.heading.saved':
    'Verificação de conexão das configurações salvas',
  'settings.connectionCheck.heading.draft':
    'Verificação de conexão das configurações não salvas',
  'settings.connectionCheck.heading.config':
    'Verificação de conexão das configurações definidas na configuração',
  'settings.connectionCheck.notChecked':
    'A conexão não foi verificada: {{message}}',
  'settings.connectionCheck.noProviderChosen':
    'A conexão não foi verificada: escolha SMTP ou Microsoft 365 para verificar uma conexão.',
  'settings.connectionCheck.noProviderSaved':
    'A conexão não foi verificada: nenhum provedor de e-mail está salvo. Escolha SMTP ou Microsoft 365 e preencha as configurações para verificá-las.',
  'settings.connectionCheck.works':
    'A conexão funciona: todas as etapas foram aprovadas. Nada foi enviado.',
  'settings.connectionCheck.failed': 'A verificação de conexão falhou.',
  'settings.connectionCheck.failedAt':
    'A verificação de conexão falhou na etapa “{{step}}”.',
  'settings.connectionCheck.failedAtBecause':
    'A verificação de conexão falhou na etapa “{{step}}”: {{reason}}',
  'settings.connectionCheck.stepsLabel': 'Etapas da verificação de conexão',
  'settings.connectionCheck.step.passed':
    '{{step}}: aprovada ({{durationMs, number}} ms)',
  'settings.connectionCheck.step.failed':
    '{{step}}: com falha ({{durationMs, number}} ms)',
  'settings.connectionCheck.step.skipped':
    '{{step}}: ignorada ({{durationMs, number}} ms)',
  'settings.connectionCheck.outcome.passed': 'aprovada',
  'settings.connectionCheck.outcome.failed': 'com falha',
  'settings.connectionCheck.outcome.skipped': 'ignorada',
  'settings.connectionCheck.steps.dns': 'Resolução do endereço do servidor',
  'settings.connectionCheck.steps.connect': 'Conexão',
  'settings.connectionCheck.steps.tls': 'TLS',
  'settings.connectionCheck.steps.smtp': 'Saudação SMTP',
  'settings.connectionCheck.steps.login': 'Autenticação',
  'settings.connectionCheck.steps.token': 'Token de acesso do Microsoft Entra',
  'settings.connectionCheck.steps.permission': 'Permissão Mail.Send',
  'settings.connectionCheck.steps.largeMessages':
    'Permissão Mail.ReadWrite para mensagens grandes',
  'settings.failureDetails.code': 'Código {{code}}.',
  'settings.failureDetails.codeTransient':
    'Código {{code}}: um problema temporário; tentar novamente mais tarde pode resolver.',
  'settings.failureDetails.providerReply': 'O servidor respondeu: {{reply}}',
  'settings.deliveryHints.title': 'Entrega',
  'settings.deliveryHints.spf.heading':
    'Evite que os e-mails caiam na pasta de spam.',
  'settings.deliveryHints.spf.body':
    '{{heading}} O domínio do endereço do remetente precisa autorizar os servidores que enviam por ele: adicione ao registro SPF do domínio os endereços IP de envio do seu servidor SMTP ou relay (ou o {{include}} dele), para o Microsoft 365 {{microsoftInclude}}, e ative a assinatura DKIM onde o provedor oferecer.',
  'settings.deliveryHints.limits.heading':
    'A Microsoft limita quanto uma caixa de correio pode enviar:',
  'settings.deliveryHints.limits.body':
    '{{heading}} 30 mensagens por minuto e 10.000 destinatários por dia. O portal controla o ritmo dos envios para ficar abaixo desses limites, então um lote grande leva algum tempo.',
  'settings.deliveryHints.docsLink': 'Como o portal entrega os e-mails',
  // END settings
  // SECTION deliveries
  'deliveries.status.queued': 'Na fila',
  'deliveries.status.sending': 'Enviando',
  'deliveries.status.sent': 'Enviada',
  'deliveries.status.failed': 'Falhou',
  'deliveries.status.suppressed': 'Suprimida',
  'deliveries.notAllowed.title': 'Sem permissão',
  'deliveries.notAllowed.body':
    'Você não tem permissão para ver o registro de entregas: isso exige a permissão {{permission}}, e {{whoDecides}}',
  'deliveries.summary.title': 'Situação das entregas',
  'deliveries.summary.lastSuccess': 'Último envio bem-sucedido',
  'deliveries.summary.noSuccess': 'Nenhum ainda',
  'deliveries.summary.lastFailure': 'Última falha',
  'deliveries.summary.noFailure': 'Nenhuma',
  'deliveries.summary.waiting': 'Mensagens aguardando',
  'deliveries.summary.failedLast24Hours': 'Falhas nas últimas 24 horas',
  'deliveries.summary.secretExpires': 'Expiração do segredo do cliente',
  'deliveries.summary.certificateExpires': 'Expiração do certificado',
  'deliveries.summary.expiresToday': 'hoje',
  'deliveries.summary.expiresTomorrow': 'amanhã',
  'deliveries.summary.expiresIn_one': 'daqui a {{count}} dia',
  'deliveries.summary.expiresIn_other': 'daqui a {{count}} dias',
  'deliveries.summary.expiredToday': 'expirou hoje',
  'deliveries.summary.expiredYesterday': 'expirou ontem',
  'deliveries.summary.expiredAgo_one': 'expirou há {{count}} dia',
  'deliveries.summary.expiredAgo_other': 'expirou há {{count}} dias',
  'deliveries.chart.titleHour': 'Mensagens por hora',
  'deliveries.chart.titleDay': 'Mensagens por dia',
  'deliveries.chart.period': 'Período do gráfico',
  'deliveries.chart.lastHours': 'Últimas 24 horas',
  'deliveries.chart.lastDays': 'Últimos 30 dias',
  'deliveries.chart.showAsTable': 'Mostrar como tabela',
  'deliveries.chart.sent': 'Enviadas',
  'deliveries.chart.failed': 'Falharam',
  'deliveries.chart.waiting': 'Aguardando',
  'deliveries.chart.tooltipCounts':
    'Enviadas: {{sent}}, falharam: {{failed}}, aguardando: {{waiting}}',
  'deliveries.chart.failureCodes': 'Códigos de falha:',
  'deliveries.chart.clickBar': 'Clique para ver estas mensagens',
  'deliveries.chart.hint':
    '{{chart}}. Clique em uma barra para ver as mensagens dela no registro abaixo; “Mostrar como tabela” lista os números.',
  'deliveries.chart.loadError':
    'Não foi possível carregar o gráfico: {{error}}',
  'deliveries.chart.refreshError':
    'Não foi possível atualizar o gráfico: {{error}}. Ele mostra o que foi lido antes.',
  'deliveries.statsTable.labelHour': 'Mensagens por hora, últimas 24 horas',
  'deliveries.statsTable.labelDay': 'Mensagens por dia, últimos 30 dias',
  'deliveries.statsTable.hour': 'Hora',
  'deliveries.statsTable.day': 'Dia',
  'deliveries.statsTable.sent': 'Enviadas',
  'deliveries.statsTable.failed': 'Falharam',
  'deliveries.statsTable.waiting': 'Aguardando',
  'deliveries.statsTable.failureCodes': 'Códigos de falha',
  'deliveries.statsTable.messages': 'Mensagens',
  'deliveries.statsTable.showMessages': 'Ver mensagens',
  'deliveries.log.title': 'Mensagens recentes',
  'deliveries.log.loadError':
    'Não foi possível carregar o registro de entregas: {{error}}',
  'deliveries.log.tryAgain': 'Tentar novamente',
  'deliveries.log.close': 'Fechar',
  'deliveries.log.refresh': 'Atualizar',
  'deliveries.log.refreshing': 'Atualizando…',
  'deliveries.log.updated_one':
    'Atualizado às {{time}}; atualiza a cada segundo',
  'deliveries.log.updated_other':
    'Atualizado às {{time}}; atualiza a cada {{count}} segundos',
  'deliveries.log.retryNeedsPermission':
    'Tentar novamente uma mensagem que falhou exige a permissão {{permission}}, que os administradores do provedor de e-mail têm.',
  'deliveries.log.refreshError':
    'Não foi possível atualizar o registro de entregas: {{error}}. Ele mostra o que foi lido antes.',
  'deliveries.log.retryQueued':
    'Na fila novamente: “{{subject}}” será enviada em breve.',
  'deliveries.log.retryFailed':
    'Não foi possível tentar enviar “{{subject}}” novamente: {{error}}',
  'deliveries.log.emptyFiltered':
    'Nenhuma mensagem corresponde a estes filtros.',
  'deliveries.log.emptyLog':
    'Nenhuma mensagem ainda: nenhum plugin enviou e-mail pelo portal.',
  'deliveries.log.emptyQueued': 'Nenhuma mensagem na fila.',
  'deliveries.log.emptySending': 'Nenhuma mensagem sendo enviada.',
  'deliveries.log.emptySent': 'Nenhuma mensagem enviada.',
  'deliveries.log.emptyFailed': 'Nenhuma mensagem com falha.',
  'deliveries.log.emptySuppressed': 'Nenhuma mensagem suprimida.',
  'deliveries.announcements.changed_one': '{{count}} mensagem mudou de status.',
  'deliveries.announcements.changed_other':
    '{{count}} mensagens mudaram de status.',
  'deliveries.announcements.nowQueued': '“{{subject}}” agora está na fila.',
  'deliveries.announcements.nowSending':
    '“{{subject}}” agora está sendo enviada.',
  'deliveries.announcements.nowSent': '“{{subject}}” foi enviada.',
  'deliveries.announcements.nowFailed': '“{{subject}}” falhou.',
  'deliveries.announcements.nowSuppressed':
    '“{{subject}}” não foi enviada: o destinatário cancelou a inscrição.',
  'deliveries.pager.rowsPerPage': 'Linhas por página',
  'deliveries.pager.rowsPerPageLabel': 'Linhas por página:',
  'deliveries.pager.previousPage': 'Página anterior',
  'deliveries.pager.nextPage': 'Próxima página',
  'deliveries.pager.rows': '{{first}}–{{last}} de {{total}}',
  'deliveries.pager.rowsOfMoreThan': '{{first}}–{{last}} de mais de {{total}}',
  'deliveries.pager.noRows': '0 de {{total}}',
  'deliveries.pager.noRowsOfMoreThan': '0 de mais de {{total}}',
  'deliveries.table.time': 'Horário',
  'deliveries.table.caller': 'Origem',
  'deliveries.table.category': 'Categoria',
  'deliveries.table.subject': 'Assunto',
  'deliveries.table.recipients': 'Destinatários',
  'deliveries.table.status': 'Status',
  'deliveries.table.attempts': 'Tentativas',
  'deliveries.table.lastError': 'Último erro',
  'deliveries.table.sentAt': 'enviada em {{time}}',
  'deliveries.table.nextAttemptAt': 'próxima tentativa em {{time}}',
  'deliveries.table.noCategory': 'nenhuma',
  'deliveries.table.retry': 'Tentar novamente',
  'deliveries.table.retrying': 'Tentando novamente…',
  'deliveries.table.errorCode': 'Código {{code}}',
  'deliveries.table.errorCodeAndReply':
    'Código {{code}}; o servidor respondeu {{reply}}',
  'deliveries.table.suppressedReason':
    'Não enviada: o destinatário cancelou a inscrição.',
  'deliveries.filters.status': 'Status',
  'deliveries.filters.allStatuses': 'Todos',
  'deliveries.filters.recipient': 'Destinatário',
  'deliveries.filters.recipientHint':
    'O endereço completo: o registro guarda apenas um hash com chave de cada endereço',
  'deliveries.filters.recipientInvalid':
    'O destinatário deve ser um único endereço simples, como nome@exemplo.com, sem nome de exibição, comentários ou aspas',
  'deliveries.filters.recipientTooLong':
    'O destinatário deve ter no máximo {{max}} caracteres',
  'deliveries.filters.caller': 'Origem',
  'deliveries.filters.category': 'Categoria',
  'deliveries.filters.subjectWords': 'Palavras do assunto',
  'deliveries.filters.from': 'De',
  'deliveries.filters.to': 'Até',
  'deliveries.filters.clear': 'Limpar filtros',
  'deliveries.filters.createdBetween': 'Criadas de {{from}} até {{to}}',
  'deliveries.filters.createdFrom': 'Criadas a partir de {{from}}',
  'deliveries.filters.createdBefore': 'Criadas antes de {{to}}',
  'deliveries.filters.removeTimeFilter':
    'Remover o filtro de período: {{range}}',
  'deliveries.filters.serverError':
    'Não foi possível filtrar o registro: {{error}}',
  'deliveries.export.button': 'Exportar CSV',
  'deliveries.export.exporting': 'Exportando…',
  'deliveries.export.error':
    'Não foi possível exportar o registro de entregas: {{error}}',
  'deliveries.suppressions.title': 'Endereços descadastrados',
  'deliveries.suppressions.description':
    'Endereços que cancelaram a inscrição pelo link de uma mensagem. O portal não envia mais a eles as mensagens daquele plugin e daquela lista: essas mensagens aparecem como Suprimida no registro. Remova uma supressão somente quando a pessoa pedir para voltar a receber essas mensagens.',
  'deliveries.suppressions.address': 'Endereço',
  'deliveries.suppressions.addressHint':
    'O endereço completo, como nome@exemplo.com',
  'deliveries.suppressions.addressInvalid':
    'O endereço deve ser um único endereço simples, como nome@exemplo.com, sem nome de exibição, comentários ou aspas',
  'deliveries.suppressions.addressTooLong':
    'O endereço deve ter no máximo {{max}} caracteres',
  'deliveries.suppressions.search': 'Pesquisar',
  'deliveries.suppressions.clearSearch': 'Mostrar todos',
  'deliveries.suppressions.unsubscribedFrom': 'Descadastrado de',
  'deliveries.suppressions.listName': 'lista {{list}}',
  'deliveries.suppressions.caller': 'Plugin remetente',
  'deliveries.suppressions.source': 'Canal',
  'deliveries.suppressions.sourceOneClick': 'Um clique no programa de e-mail',
  'deliveries.suppressions.sourceConfirmationPage':
    'Página de cancelamento da inscrição',
  'deliveries.suppressions.unsubscribedAt': 'Descadastrado em',
  'deliveries.suppressions.actions': 'Ações',
  'deliveries.suppressions.remove': 'Remover',
  'deliveries.suppressions.removeLabel': 'Remover a supressão de {{address}}',
  'deliveries.suppressions.confirmTitle': 'Remover a supressão de {{address}}?',
  'deliveries.suppressions.confirmBody':
    '{{address}} voltará a receber as mensagens de “{{what}}” de {{caller}}. A inscrição foi cancelada em {{date}}: remova a supressão somente se a pessoa pediu essas mensagens de novo.',
  'deliveries.suppressions.removed':
    'Supressão removida: {{address}} voltará a receber as mensagens de “{{what}}” de {{caller}}.',
  'deliveries.suppressions.removeFailed':
    'Não foi possível remover a supressão de {{address}}: {{error}}',
  'deliveries.suppressions.removeNeedsPermission':
    'Remover uma supressão exige a permissão {{permission}}, que os administradores do provedor de e-mail têm.',
  'deliveries.suppressions.empty': 'Nenhum endereço cancelou a inscrição.',
  'deliveries.suppressions.emptyForAddress':
    'Nenhuma supressão para {{address}}: o endereço não cancelou nenhuma inscrição.',
  'deliveries.suppressions.loadError':
    'Não foi possível carregar os endereços descadastrados: {{error}}',
  'deliveries.suppressions.searchError':
    'Não foi possível pesquisar os endereços descadastrados: {{error}}',
  'deliveries.suppressions.rows': '{{first}}–{{last}}',
  'deliveries.suppressions.previousPage':
    'Página anterior de endereços descadastrados',
  'deliveries.suppressions.nextPage':
    'Próxima página de endereços descadastrados',
  // END deliveries
  // SECTION failures
  'failures.services.entra':
    'O endpoint de token do Microsoft Entra em {{url}}',
  'failures.services.graph': 'O Microsoft Graph em {{url}}',
  'failures.services.uploadSession': 'A sessão de upload em {{url}}',
  'failures.authFailed.rejected':
    'O servidor recusou o nome de usuário ou a senha. Confira os dois; provedores como Gmail e Microsoft 365 exigem uma senha de app ou o SMTP AUTH habilitado para a caixa de correio.',
  'failures.authFailed.rejectedWithReply':
    'O servidor recusou o nome de usuário ou a senha ({{reply}}). Confira os dois; provedores como Gmail e Microsoft 365 exigem uma senha de app ou o SMTP AUTH habilitado para a caixa de correio.',
  'failures.authNotOffered.afterStarttls':
    'Este servidor só oferece autenticação depois do StartTLS: escolha StartTLS. A senha não foi enviada.',
  'failures.authNotOffered.plain':
    '{{host}}:{{port}} não oferece autenticação (AUTH) em uma conexão sem criptografia, então a senha não foi enviada. Escolha SSL/TLS se o servidor tiver suporte (geralmente na porta 465) ou confira o endereço do servidor e a porta.',
  'failures.authNotOffered.overTls':
    '{{host}}:{{port}} não oferece autenticação (AUTH), nem mesmo com TLS, então a senha não foi enviada. Confira a porta (o envio de e-mail costuma usar 587 ou 465) e se o servidor está com a autenticação habilitada.',
  'failures.tlsMismatch.notTls':
    'A porta {{port}} não começa com SSL/TLS; escolha StartTLS (geralmente na porta 587) ou a porta SSL/TLS do servidor (geralmente 465).',
  'failures.tlsMismatch.starttlsOnTlsPort':
    'A porta {{port}} espera SSL/TLS desde o início, não StartTLS; escolha SSL/TLS.',
  'failures.tlsMismatch.plainOnTlsPort':
    'A porta {{port}} espera SSL/TLS desde o início, não uma conexão sem criptografia; escolha SSL/TLS.',
  'failures.tlsRequired':
    '{{host}}:{{port}} não oferece StartTLS, então nada foi enviado. Escolha SSL/TLS se o servidor tiver suporte (geralmente na porta 465); escolha Nenhuma só para um relay em uma rede confiável.',
  'failures.certificateInvalid.selfSigned':
    'O certificado de {{host}} é autoassinado; instale no servidor um certificado de uma AC confiável ou confie na AC dele por meio de NODE_EXTRA_CA_CERTS.',
  'failures.certificateInvalid.untrustedCa':
    'O certificado de {{host}} foi emitido por uma AC em que este portal não confia; confie nessa AC por meio de NODE_EXTRA_CA_CERTS.',
  'failures.certificateInvalid.unverifiable':
    'O certificado de {{host}} não pode ser verificado (cadeia incompleta ou AC desconhecida); faça o servidor enviar a cadeia completa ou confie na AC dele por meio de NODE_EXTRA_CA_CERTS.',
  'failures.certificateInvalid.expired':
    'O certificado de {{host}} expirou; o servidor precisa de um certificado renovado.',
  'failures.certificateInvalid.notYetValid':
    'O certificado de {{host}} ainda não é válido; confira o relógio do servidor.',
  'failures.certificateInvalid.wrongName':
    'O certificado de {{host}} foi emitido para outro nome; use o endereço do servidor que consta no certificado.',
  'failures.certificateInvalid.untrustedService':
    '{{service}} apresentou um certificado em que este servidor não confia ({{certificateError}}): se um proxy inspeciona o TLS, confie na AC dele por meio de NODE_EXTRA_CA_CERTS.',
  'failures.connectionRefused':
    'Nada aceita conexões em {{host}}:{{port}}; confira o endereço do servidor e a porta, e se algum firewall bloqueia o portal.',
  'failures.hostNotFound':
    'O endereço do servidor {{host}} não é resolvido; confira se está escrito certo e o DNS do portal.',
  'failures.destinationNotAllowed.metadataAddress':
    'O endereço do servidor não é permitido: {{host}} é um endereço link-local ou de metadados de nuvem, onde nenhum servidor de e-mail pode estar.',
  'failures.destinationNotAllowed.notInAllowedHosts':
    'O endereço do servidor não é permitido: {{host}} não está em emailProvider.smtp.allowedHosts ({{allowedHosts}}); peça aos operadores do portal que o liberem.',
  'failures.destinationNotAllowed.resolvesToMetadataAddress':
    'O endereço do servidor não é permitido: {{host}} é resolvido para {{address}}, um endereço link-local ou de metadados de nuvem, onde nenhum servidor de e-mail pode estar.',
  'failures.timeout.noAnswer':
    '{{host}}:{{port}} não respondeu a tempo; confira o endereço, a porta e qualquer firewall entre o portal e o servidor.',
  'failures.timeout.noGreeting':
    '{{host}}:{{port}} aceitou a conexão, mas não enviou a saudação SMTP a tempo; confira se esta é uma porta SMTP e se o servidor está funcionando.',
  'failures.timeout.sendDeadline':
    '{{host}}:{{port}} não terminou de receber a mensagem em {{seconds}} segundos; confira se o servidor está funcionando.',
  'failures.timeout.checkDeadline':
    '{{host}}:{{port}} não concluiu a verificação da conexão em {{seconds}} segundos; confira se o servidor está funcionando.',
  'failures.timeout.tlsHandshake':
    '{{host}}:{{port}} aceitou a conexão, mas não concluiu o handshake TLS em {{seconds}} segundos; confira se esta porta usa SSL/TLS (geralmente 465).',
  'failures.timeout.ehlo':
    '{{host}}:{{port}} não concluiu a saudação SMTP e o EHLO em {{seconds}} segundos; confira se esta é uma porta SMTP e se o servidor está funcionando.',
  'failures.timeout.signIn':
    '{{host}}:{{port}} não respondeu à autenticação em {{seconds}} segundos; confira se o servidor está funcionando.',
  'failures.timeout.dns':
    'O endereço do servidor {{host}} não foi resolvido em {{seconds}} segundos; confira o DNS do portal.',
  'failures.timeout.service':
    '{{service}} não respondeu a tempo; tente novamente mais tarde.',
  'failures.senderRejected.rejected':
    'O servidor recusou o endereço de e-mail do remetente; use um endereço em nome do qual a conta possa enviar.',
  'failures.senderRejected.rejectedWithReply':
    'O servidor recusou o endereço de e-mail do remetente ({{reply}}); use um endereço em nome do qual a conta possa enviar.',
  'failures.recipientRejected.smtp':
    'O servidor recusou o destinatário; confira o endereço.',
  'failures.recipientRejected.smtpWithReply':
    'O servidor recusou o destinatário ({{reply}}); confira o endereço.',
  'failures.recipientRejected.microsoft365':
    'O Microsoft 365 recusou os destinatários ({{reply}}): confira os endereços.',
  'failures.relayDenied.starttlsRequired':
    '{{host}}:{{port}} só aceita e-mails depois do StartTLS ({{reply}}): escolha StartTLS.',
  'failures.relayDenied.signInRequired':
    '{{host}}:{{port}} exige autenticação antes de aceitar e-mails ({{reply}}), e a autenticação está desligada: marque O servidor exige autenticação e informe o nome de usuário e a senha.',
  'failures.relayDenied.notRelayedWithoutSignIn':
    '{{host}}:{{port}} se recusou a repassar a mensagem ({{reply}}): ele só faz relay para remetentes autenticados ou redes permitidas, e a autenticação está desligada. Peça para o relay aceitar o endereço do portal (nas redes permitidas ou em um conector) ou marque O servidor exige autenticação e informe o nome de usuário e a senha.',
  'failures.relayDenied.signInAfterStarttls':
    'Este servidor só oferece autenticação depois do StartTLS: escolha StartTLS. Sem autenticação, ele recusou a mensagem ({{reply}}).',
  'failures.relayDenied.noSignInOnPlain':
    '{{host}}:{{port}} só aceita e-mails para outros domínios de remetentes autenticados ({{reply}}), mas não oferece autenticação em uma conexão sem criptografia; escolha SSL/TLS se o servidor tiver suporte (geralmente na porta 465).',
  'failures.relayDenied.notRelayed':
    '{{host}}:{{port}} se recusou a repassar a mensagem ({{reply}}): ele só faz relay para remetentes autenticados ou redes permitidas. Confira se o servidor oferece autenticação nesta porta e se a conta pode enviar em nome do endereço do remetente.',
  'failures.messageTooLarge.smtpLimit':
    'A mensagem é maior que os {{limit}} aceitos pelo servidor, então não foi enviada; envie anexos menores.',
  'failures.messageTooLarge.smtpRefused':
    'A mensagem é maior do que o servidor aceita; envie anexos menores.',
  'failures.messageTooLarge.smtpRefusedWithReply':
    'A mensagem é maior do que o servidor aceita ({{reply}}); envie anexos menores.',
  'failures.messageTooLarge.microsoft365':
    'A mensagem é grande demais para o Microsoft 365 ({{reply}}): envie anexos menores.',
  'failures.secretInvalid':
    'AADSTS{{aadsts}}: o segredo do cliente está errado; cole o Valor do segredo, não o ID do segredo.',
  'failures.secretExpired':
    'AADSTS{{aadsts}}: o segredo do cliente expirou; crie um novo em Certificados e segredos e salve-o aqui.',
  'failures.certificateNotRegistered':
    'AADSTS{{aadsts}}: o registro de aplicativo não tem o certificado {{subject}} (impressão digital {{thumbprint}}); carregue a parte pública do certificado (.cer) em Certificados e segredos do aplicativo no Microsoft Entra e confira se a impressão digital de lá é a mesma.',
  'failures.certificateExpired.entra':
    'AADSTS{{aadsts}}: o Microsoft Entra informa que o certificado {{subject}} (impressão digital {{thumbprint}}) expirou; crie um novo certificado, carregue a parte pública dele (.cer) no registro de aplicativo em Certificados e segredos e cole aqui o novo certificado e a chave privada.',
  'failures.certificateExpired.pastEndDate':
    'O certificado {{subject}} (impressão digital {{thumbprint}}) expirou em {{expiredOn}}: crie um novo, carregue a parte pública dele (.cer) no registro de aplicativo em Certificados e segredos e cole aqui o novo certificado e a chave privada.',
  'failures.certificateKeyMismatch':
    'AADSTS{{aadsts}}: o Microsoft Entra conhece o certificado {{subject}} (impressão digital {{thumbprint}}), mas a asserção do cliente não foi assinada com a chave privada dele; cole a chave privada que pertence a este certificado.',
  'failures.appNotFound':
    'AADSTS{{aadsts}}: não há aplicativo com este ID do cliente no locatário; confira o ID do aplicativo (cliente).',
  'failures.tenantNotFound.unknown':
    'AADSTS{{aadsts}}: não há locatário do Microsoft Entra com este ID; confira o ID do diretório (locatário).',
  'failures.tenantNotFound.malformed':
    'AADSTS{{aadsts}}: o ID do locatário não é um GUID nem um domínio de um locatário; confira o ID do diretório (locatário).',
  'failures.permissionMissing.mailSend':
    'O aplicativo não tem a permissão de aplicativo Mail.Send ou o consentimento do administrador: adicione Microsoft Graph › Permissões de aplicativo › Mail.Send e conceda o consentimento do administrador.',
  'failures.permissionMissing.mailReadwrite':
    'O aplicativo não tem a permissão de aplicativo Mail.ReadWrite ou o consentimento do administrador, que mensagens grandes exigem para rascunhos e sessões de upload: adicione Microsoft Graph › Permissões de aplicativo › Mail.ReadWrite e conceda o consentimento do administrador, ou desligue as mensagens grandes.',
  'failures.permissionMissing.accessPolicy':
    'Uma política de acesso de aplicativo do Exchange Online impede este aplicativo de usar o remetente {{sender}} ("Access to OData is disabled"): adicione a caixa de correio ao grupo que a política permite ou escolha um remetente que ela permita.',
  'failures.mailboxNotFound':
    'O remetente {{sender}} não tem caixa de correio do Exchange Online (usuário licenciado ou caixa de correio compartilhada) neste locatário.',
  'failures.throttled.entra':
    'O endpoint de token do Microsoft Entra em {{url}} está limitando as solicitações deste aplicativo ({{reply}}); tente novamente mais tarde.',
  'failures.throttled.entraRetryIn':
    'O endpoint de token do Microsoft Entra em {{url}} está limitando as solicitações deste aplicativo ({{reply}}); tente novamente em {{retryAfterSeconds}} s.',
  'failures.throttled.graph':
    'O Microsoft Graph está limitando as solicitações deste aplicativo ou desta caixa de correio ({{reply}}); tente novamente mais tarde.',
  'failures.throttled.graphRetryIn':
    'O Microsoft Graph está limitando as solicitações deste aplicativo ou desta caixa de correio ({{reply}}); tente novamente em {{retryAfterSeconds}} s.',
  'failures.providerUnavailable.turnedAway':
    '{{host}}:{{port}} recusou a conexão ({{reply}}); confira se este é o servidor e a porta certos e se ele aceita e-mails do endereço do portal.',
  'failures.providerUnavailable.entra':
    'O endpoint de token do Microsoft Entra em {{url}} está indisponível ({{reply}}); tente novamente mais tarde.',
  'failures.providerUnavailable.entraRetryIn':
    'O endpoint de token do Microsoft Entra em {{url}} está indisponível ({{reply}}); tente novamente em {{retryAfterSeconds}} s.',
  'failures.providerUnavailable.graph':
    'O Microsoft Graph está indisponível ({{reply}}); tente novamente mais tarde.',
  'failures.providerUnavailable.graphRetryIn':
    'O Microsoft Graph está indisponível ({{reply}}); tente novamente em {{retryAfterSeconds}} s.',
  'failures.providerUnavailable.unreachable':
    '{{service}} está inacessível ({{networkError}}); tente novamente mais tarde.',
  'failures.providerError.ehloRefused':
    '{{host}}:{{port}} recusou o nome que este portal informa no EHLO ({{reply}}); defina emailProvider.smtp.ehloName como o nome de host totalmente qualificado (FQDN) do portal.',
  'failures.providerError.smtpRefused':
    'O servidor recusou a mensagem ({{reply}}).',
  'failures.providerError.clockSkew':
    'AADSTS{{aadsts}}: o Microsoft Entra considerou a asserção do cliente fora do período de validade; acerte o relógio deste servidor (NTP).',
  'failures.providerError.wrongCloud':
    'AADSTS{{aadsts}}: o Microsoft Graph não é conhecido neste locatário; o host de autoridade e a URL base do Graph precisam ser da mesma nuvem da Microsoft.',
  'failures.providerError.authorityRejected':
    'O MSAL recusou a configuração do Microsoft 365 ({{errorCode}}): confira emailProvider.microsoft365.authorityHost, que precisa ser uma URL https.',
  'failures.providerError.tokenUnexpected':
    'Não foi possível obter um token do Microsoft Entra por um erro inesperado.',
  'failures.providerError.uploadUrlNotHttps':
    'O Microsoft Graph ofereceu uma sessão de upload sem uma URL https; o anexo não foi enviado.',
  'failures.providerError.secretMissing':
    'Nenhum segredo do cliente está salvo para o Microsoft 365: informe o segredo e salve.',
  'failures.providerError.certificateMissing':
    'Nenhum certificado está salvo para o Microsoft 365: cole o certificado e a chave privada dele e salve.',
  'failures.providerError.notOauth':
    'O endpoint de token do Microsoft Entra em {{url}} respondeu HTTP {{httpStatus}} sem um erro OAuth: confira emailProvider.microsoft365.authorityHost.',
  'failures.providerError.redirect':
    '{{service}} respondeu com um redirecionamento (HTTP {{httpStatus}}), que não é seguido para que nenhuma credencial vá para outro servidor: defina emailProvider.microsoft365.{{setting}} como o próprio serviço.',
  'failures.providerError.redirectTo':
    '{{service}} respondeu com um redirecionamento (HTTP {{httpStatus}} para {{target}}), que não é seguido para que nenhuma credencial vá para outro servidor: defina emailProvider.microsoft365.{{setting}} como o próprio serviço.',
  'failures.providerError.graphTokenRefused':
    'O Microsoft Graph recusou um token recém-emitido ({{reply}}): o host de autoridade e a URL base do Graph precisam ser da mesma nuvem da Microsoft.',
  'failures.expired':
    'Não enviada a tempo: nenhum provedor de e-mail estava ativo ou todas as tentativas falharam. Confira o provedor e tente enviar a mensagem de novo.',
  // END failures
};
