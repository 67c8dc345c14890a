import type { App, AppContext } from '../http/context.js';
import { registerAddMemberRoute } from './add-member.js';
import { registerApiKeyRoutes } from './api-keys.js';
import { registerCreateOrganizationRoute } from './create-organization.js';
import { registerCreateProjectRoute } from './create-project.js';
import { registerCreateSessionRoute } from './create-session.js';
import { registerGetOrganizationRoute } from './get-organization.js';
import { registerHealthRoutes } from './health.js';
import { registerListAuditLogRoute } from './list-audit-log.js';
import { registerListMembersRoute } from './list-members.js';
import { registerListOrganizationsRoute } from './list-organizations.js';
import { registerListPlansRoute } from './list-plans.js';
import { registerListProjectsRoute } from './list-projects.js';
import { registerRemoveMemberRoute } from './remove-member.js';
import { registerUpdateOrganizationRoute } from './update-organization.js';

export function registerRoutes(app: App, context: AppContext) {
  registerHealthRoutes(app, context);
  registerListPlansRoute(app, context);
  registerApiKeyRoutes(app, context);
  registerCreateOrganizationRoute(app, context);
  registerListOrganizationsRoute(app, context);
  registerGetOrganizationRoute(app, context);
  registerUpdateOrganizationRoute(app, context);
  registerCreateProjectRoute(app, context);
  registerListProjectsRoute(app, context);
  registerAddMemberRoute(app, context);
  registerListMembersRoute(app, context);
  registerRemoveMemberRoute(app, context);
  registerCreateSessionRoute(app, context);
  registerListAuditLogRoute(app, context);
}
