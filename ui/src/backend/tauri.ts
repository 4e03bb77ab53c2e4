// Tauri transport: the app inside the terminal's own WebView. Commands go through `invoke`, events arrive on the
// `banshi://event` channel. Both are in-process, so the live channel is always 'open'.

import { invoke as tauriInvoke } from '@tauri-apps/api/core'
import { listen as tauriListen } from '@tauri-apps/api/event'
import { toBackendError } from './errors'
import { EventHub } from './hub'
import { LOGIN_REQUIRED, SessionStore } from './session'
import {
  checkAuditCheck,
  checkCalls,
  checkFleetTerminals,
  checkJsonSchema,
  checkProfileErrors,
  checkRollout,
  checkRolloutList,
  checkFullApplicant,
  checkHallSetup,
  checkIdentity,
  checkKpi,
  checkOptionalHallSetup,
  checkStaffAccount,
  checkStaffList,
  checkStaffSession,
  checkStatus,
  checkTicket,
  checkTicketList,
  checkUnsyncedList,
  checkWindowState,
  checkCaseSummaryList,
  checkCaseView,
  checkCatalogue,
  checkItemList,
  checkProgress,
  checkPublishedCatalogue,
  checkRatingView,
  checkApplicantCard,
  checkBundleExport,
  checkCustomerScreen,
  checkEvaluatorOutcome,
  parseEvent,
} from './parse'
import type {
  AuditCheck,
  Backend,
  BackendEvent,
  Calls,
  CheckInRequest,
  ConnectionState,
  FleetGroup,
  FleetTerminals,
  FullApplicant,
  JsonSchema,
  ProfileError,
  RolloutView,
  HallSetup,
  Identity,
  IssueOptions,
  Kpi,
  StaffAccount,
  StaffInput,
  StaffSession,
  Status,
  Ticket,
  TransferTarget,
  Unsubscribe,
  UnsyncedList,
  WindowState,
  ApplicantInput,
  Catalogue,
  CaseSummary,
  CaseView,
  ApplicantCard,
  BundleExport,
  CaseApplicant,
  CustomerOffer,
  PreReviewVerdict,
  CustomerScreen,
  EvaluatorOutcome,
  RatingChannel,
  Decision,
  DraftPatch,
  Item,
  MaterialMark,
  ProgressView,
  RatingInput,
  RatingView,
} from './types'

export const EVENT_CHANNEL = 'banshi://event'

export type InvokeFn = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>
export type ListenFn = (event: string, handler: (event: { payload: unknown }) => void) => Promise<() => void>

export interface TauriBackendOptions {
  invoke?: InvokeFn
  listen?: ListenFn
}

export class TauriBackend implements Backend {
  readonly transport = 'tauri' as const
  private readonly invokeFn: InvokeFn
  private readonly listenFn: ListenFn
  private readonly hub = new EventHub('open')
  private readonly session = new SessionStore()
  private unlisten: Promise<(() => void) | null> | null = null
  private stopped = false

  constructor(options: TauriBackendOptions = {}) {
    this.invokeFn = options.invoke ?? ((cmd, args) => tauriInvoke(cmd, args))
    this.listenFn = options.listen ?? ((event, handler) => tauriListen(event, handler))
  }

  status(): Promise<Status> {
    return this.call('status').then(checkStatus)
  }

  // Tauri converts the command's snake_case arguments to camelCase keys; absent optional arguments go as null.
  issueTicket(category: string, options: IssueOptions = {}): Promise<Ticket> {
    return this.call('issue_ticket', {
      category,
      identity: options.identity ?? null,
      priority: options.priority ?? null,
    }).then(checkTicket)
  }

  listTickets(): Promise<Ticket[]> {
    return this.staffCall('list_tickets').then(checkTicketList)
  }

  unsyncedRecords(): Promise<UnsyncedList> {
    return this.staffCall('unsynced_records').then(checkUnsyncedList)
  }

  identify(): Promise<Identity> {
    return this.call('queue_identify').then(checkIdentity)
  }

  checkIn(request: CheckInRequest): Promise<Ticket> {
    return this.call('appointment_check_in', {
      identity: request.identity ?? null,
      bookingNumber: request.bookingNumber ?? null,
    }).then(checkTicket)
  }

  windowState(): Promise<WindowState> {
    return this.staffCall('window_state').then(checkWindowState)
  }

  windowSignIn(): Promise<WindowState> {
    return this.staffCall('window_sign_in').then(checkWindowState)
  }

  windowSignOut(): Promise<WindowState> {
    return this.staffCall('window_sign_out').then(checkWindowState)
  }

  windowCallNext(): Promise<WindowState> {
    return this.staffCall('window_call_next').then(checkWindowState)
  }

  windowRecall(): Promise<WindowState> {
    return this.staffCall('window_recall').then(checkWindowState)
  }

  windowNoShow(): Promise<WindowState> {
    return this.staffCall('window_no_show').then(checkWindowState)
  }

  windowFinish(): Promise<WindowState> {
    return this.staffCall('window_finish').then(checkWindowState)
  }

  windowPause(paused: boolean): Promise<WindowState> {
    return this.staffCall('window_pause', { paused }).then(checkWindowState)
  }

  windowTransfer(target: TransferTarget): Promise<WindowState> {
    return this.staffCall('window_transfer', {
      category: target.category ?? null,
      window: target.window ?? null,
    }).then(checkWindowState)
  }

  windowApplicant(): Promise<FullApplicant> {
    return this.staffCall('window_applicant').then(checkFullApplicant)
  }

  async login(staffId: string, password: string): Promise<StaffSession> {
    const session = checkStaffSession(await this.call('login', { staffId, password }))
    this.session.set(session)
    return session
  }

  async loginCard(pin: string): Promise<StaffSession> {
    const session = checkStaffSession(await this.call('login_card', { pin }))
    this.session.set(session)
    return session
  }

  async logout(): Promise<void> {
    const token = this.session.token()
    if (token === null) return
    try {
      await this.call('logout', { token })
    } finally {
      // Forget the token even when the backend refuses: the next person at the desk must not inherit it.
      this.session.set(null)
    }
  }

  async refreshSession(): Promise<StaffSession | null> {
    const token = this.session.token()
    if (token === null) return null
    const session = checkStaffSession(await this.staffCall('session'))
    if (this.session.token() === token) this.session.set(session)
    return this.session.get()
  }

  async changePassword(staffId: string, oldPassword: string, newPassword: string): Promise<void> {
    await this.call('change_password', { staffId, oldPassword, newPassword })
  }

  currentSession(): StaffSession | null {
    return this.session.get()
  }

  onSession(handler: (session: StaffSession | null) => void): Unsubscribe {
    return this.session.on(handler)
  }

  staffList(): Promise<StaffAccount[]> {
    return this.staffCall('staff_list').then(checkStaffList)
  }

  // `input` keeps its snake_case keys: Tauri renames command arguments, not the fields of a struct argument.
  saveStaff(input: StaffInput): Promise<StaffAccount> {
    return this.staffCall('save_staff', { input }).then(checkStaffAccount)
  }

  verifyAudit(): Promise<AuditCheck> {
    return this.staffCall('verify_audit').then(checkAuditCheck)
  }

  calls(): Promise<Calls> {
    return this.call('calls').then(checkCalls)
  }

  kpi(): Promise<Kpi> {
    return this.staffCall('kpi').then(checkKpi)
  }

  hallSetup(): Promise<HallSetup | null> {
    return this.call('hall_setup').then(checkOptionalHallSetup)
  }

  importHall(toml: string): Promise<HallSetup> {
    return this.staffCall('import_hall', { toml }).then(checkHallSetup)
  }

  async unlockKiosk(pin: string): Promise<void> {
    await this.call('unlock_kiosk', { pin })
  }

  resetSession(): Promise<number> {
    return this.call('reset_session').then((n) => (typeof n === 'number' ? n : 0))
  }

  fleetTerminals(): Promise<FleetTerminals> {
    return this.staffCall('fleet_terminals').then(checkFleetTerminals)
  }

  fleetRollouts(): Promise<RolloutView[]> {
    return this.staffCall('fleet_rollouts').then(checkRolloutList)
  }

  fleetValidateProfile(toml: string): Promise<ProfileError[]> {
    return this.staffCall('fleet_validate_profile', { toml }).then(checkProfileErrors)
  }

  fleetProfileSchema(): Promise<JsonSchema> {
    return this.staffCall('fleet_profile_schema').then(checkJsonSchema)
  }

  // `group` keeps its snake_case fields (hall_id): Tauri renames command arguments, not a struct's fields.
  fleetPublish(group: FleetGroup, profileToml: string): Promise<RolloutView> {
    return this.staffCall('fleet_publish', { group, profileToml }).then(checkRollout)
  }

  fleetAdvance(releaseId: string): Promise<RolloutView> {
    return this.staffCall('fleet_advance', { releaseId }).then(checkRollout)
  }

  fleetRollback(releaseId: string): Promise<RolloutView> {
    return this.staffCall('fleet_rollback', { releaseId }).then(checkRollout)
  }

  catalogue(): Promise<Catalogue> {
    return this.staffCall('catalogue').then(checkCatalogue)
  }

  searchCatalogue(q: string): Promise<Item[]> {
    return this.staffCall('catalogue_search', { q }).then(checkItemList)
  }

  // `applicant` and `patch` keep their snake_case fields: Tauri renames command arguments, not a struct's fields.
  startCase(itemCode: string, who?: CaseApplicant): Promise<CaseView> {
    const cardToken = who !== undefined && 'card_token' in who ? who.card_token : null
    const applicant: ApplicantInput | null = who !== undefined && !('card_token' in who) ? who : null
    return this.staffCall('case_start', { itemCode, applicant, cardToken }).then(checkCaseView)
  }

  readApplicantCard(): Promise<ApplicantCard> {
    return this.staffCall('case_read_card').then(checkApplicantCard)
  }

  getCase(id: string): Promise<CaseView> {
    return this.staffCall('case_get', { id }).then(checkCaseView)
  }

  saveDraft(id: string, patch: DraftPatch): Promise<CaseView> {
    return this.staffCall('case_save_draft', { id, patch }).then(checkCaseView)
  }

  captureMaterialPage(id: string, materialId: string): Promise<CaseView> {
    return this.staffCall('case_capture', { id, materialId }).then(checkCaseView)
  }

  addMaterialPages(id: string, materialId: string, pages: string[]): Promise<CaseView> {
    return this.staffCall('case_add_pages', { id, materialId, pages }).then(checkCaseView)
  }

  signCase(id: string, png: string): Promise<CaseView> {
    return this.staffCall('case_sign', { id, png }).then(checkCaseView)
  }

  submitCase(id: string): Promise<CaseView> {
    return this.staffCall('case_submit', { id }).then(checkCaseView)
  }

  rateCase(id: string, input: RatingInput, channel: RatingChannel = 'kiosk'): Promise<RatingView> {
    return this.staffCall('case_rate', { id, input, channel }).then(checkRatingView)
  }

  customerScreen(): Promise<CustomerScreen> {
    return this.call('customer_screen').then(checkCustomerScreen)
  }

  showOnCustomerScreen(caseId: string, show: CustomerOffer): Promise<CustomerScreen> {
    return this.staffCall('customer_screen_show', { caseId, show }).then(checkCustomerScreen)
  }

  clearCustomerScreen(): Promise<CustomerScreen> {
    return this.staffCall('customer_screen_clear').then(checkCustomerScreen)
  }

  customerScreenSign(offer: string, png: string): Promise<CustomerScreen> {
    return this.call('customer_screen_sign', { offer, png }).then(checkCustomerScreen)
  }

  customerScreenDispute(offer: string): Promise<CustomerScreen> {
    return this.call('customer_screen_dispute', { offer }).then(checkCustomerScreen)
  }

  customerScreenRate(offer: string, input: RatingInput): Promise<RatingView> {
    return this.call('customer_screen_rate', { offer, input }).then(checkRatingView)
  }

  rateWithEvaluator(id: string): Promise<EvaluatorOutcome> {
    return this.staffCall('case_rate_evaluator', { id }).then(checkEvaluatorOutcome)
  }

  scanCaseProgress(): Promise<ProgressView> {
    return this.call('case_progress_scan').then(checkProgress)
  }

  caseProgress(number: string): Promise<ProgressView> {
    return this.staffCall('case_progress', { number }).then(checkProgress)
  }

  openCases(): Promise<CaseSummary[]> {
    return this.staffCall('case_open_list').then(checkCaseSummaryList)
  }

  lookupCases(idNumber: string): Promise<CaseSummary[]> {
    return this.staffCall('case_lookup', { idNumber }).then(checkCaseSummaryList)
  }

  markMaterial(id: string, materialId: string, mark: MaterialMark): Promise<CaseView> {
    return this.staffCall('case_mark_material', {
      id,
      materialId,
      paperReceived: mark.paperReceived,
      reviewed: mark.reviewed,
    }).then(checkCaseView)
  }

  preReviewCase(id: string, verdict: PreReviewVerdict): Promise<CaseView> {
    return this.staffCall('case_pre_review', { id, verdict }).then(checkCaseView)
  }

  decideCase(id: string, decision: Decision): Promise<CaseView> {
    return this.staffCall('case_decide', { id, decision }).then(checkCaseView)
  }

  publishCatalogue(toml: string): Promise<{ version: number }> {
    return this.staffCall('catalogue_publish', { toml }).then(checkPublishedCatalogue)
  }

  exportBundle(passphrase: string): Promise<BundleExport> {
    return this.staffCall('sync_export', { passphrase }).then(checkBundleExport)
  }

  subscribe(handler: (event: BackendEvent) => void): Unsubscribe {
    const off = this.hub.add(handler)
    if (!this.unlisten && !this.stopped) {
      this.unlisten = this.listenFn(EVENT_CHANNEL, (e) => {
        const event = parseEvent(e.payload)
        if (event) this.hub.emit(event)
      }).catch((err: unknown) => {
        console.error('banshi: cannot listen for backend events', err)
        this.hub.setConnection('closed')
        return null
      })
    }
    return off
  }

  connectionState(): ConnectionState {
    return this.hub.connectionState()
  }

  onConnection(handler: (state: ConnectionState) => void): Unsubscribe {
    return this.hub.onConnection(handler)
  }

  close(): void {
    this.stopped = true
    void this.unlisten?.then((off) => off?.())
    this.unlisten = null
    this.hub.setConnection('closed')
  }

  /** A staff command: the session's token goes along; `staff.login_required` ends that session. */
  private async staffCall(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const token = this.session.token()
    try {
      return await this.call(cmd, { ...args, token })
    } catch (err) {
      const error = toBackendError(err)
      if (error.code === LOGIN_REQUIRED) this.session.expired(token)
      throw error
    }
  }

  private async call(cmd: string, args?: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.invokeFn(cmd, args)
    } catch (err) {
      throw toBackendError(err)
    }
  }
}

export function createTauriBackend(options?: TauriBackendOptions): Backend {
  return new TauriBackend(options)
}
