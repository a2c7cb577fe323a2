"""What each audit action is called on a page (history timelines, the admin's journal).

Actions are stored as stable codes (``decision_letter``); a reader sees the French label. Every
code passed to :func:`pepiniere.audit.services.record` has a label here (a test reads the code
base for them), so no raw code reaches a timeline."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from pepiniere.lib.extension import ExtensionPoint

# The states an entry goes from and to belong to later stages (an application's status): each
# registers a function that names its codes (None: not one of mine).
state_labels: ExtensionPoint[Callable[[str], str | None]] = ExtensionPoint("audit state labels")

ACTION_LABELS = {
    # Application lifecycle (pepiniere.applications.workflow)
    "create": _("création"),
    "submit": _("dépôt"),
    "resubmit": _("nouveau dépôt après compléments"),
    "withdraw": _("retrait par le porteur"),
    "request_information": _("demande de compléments"),
    "mark_eligible": _("déclaré recevable"),
    "mark_ineligible": _("déclaré irrecevable"),
    "open_review": _("ouverture de l'expertise"),
    "close_review": _("clôture de l'expertise"),
    "select": _("retenu par le jury"),
    "put_in_reserve": _("placé en liste complémentaire"),
    "reject": _("non retenu par le jury"),
    "award": _("aide attribuée"),
    "select_by_rule": _("retenu par application de la règle"),
    # Match-funded crowdfunding (pepiniere.crowdfunding)
    "create_campaign": _("création de la campagne"),
    "edit_campaign": _("modification de la campagne"),
    "launch_campaign": _("lancement de la campagne"),
    "end_campaign": _("fin de la collecte"),
    "close_campaign": _("clôture de la campagne et décision d'abondement"),
    "record_pledge": _("contribution saisie"),
    "import_pledges": _("import des contributions"),
    "reject_by_rule": _("non retenu par application de la règle"),
    "contract": _("conventionné (convention signée)"),
    "close": _("aide soldée"),
    "terminate": _("aide résiliée"),
    # Reviews and jury
    "submit_review": _("évaluation remise"),
    "reopen_review": _("évaluation rouverte"),
    "invite_reviewer": _("expert·e invité·e"),
    "accept_invitation": _("invitation acceptée"),
    "declare_conflict": _("conflit d'intérêts déclaré"),
    "reviewer_conflict": _("conflit d'intérêts d'un·e expert·e"),
    "request_conflict": _("conflit d'intérêts signalé après coup"),
    "accept_conflict": _("conflit d'intérêts signalé accepté"),
    "refuse_conflict": _("conflit d'intérêts signalé refusé"),
    "reassign": _("dossier réaffecté"),
    "reassign_failed": _("réaffectation impossible"),
    "confirm_assignment": _("affectation confirmée"),
    "open_jury_session": _("ouverture de la séance du jury"),
    "open_new_jury_session": _("ouverture d'une nouvelle séance du jury"),
    "close_jury_session": _("clôture de la séance du jury"),
    "jury_override": _("décision du jury différente de la proposition"),
    # Selection and grants
    "create_scenario": _("scénario créé"),
    "rerun_scenario": _("scénario recalculé"),
    "delete_scenario": _("scénario supprimé"),
    "send_scenario_to_jury": _("scénario transmis au jury"),
    "decision_letter": _("courrier de décision envoyé"),
    "set_letter_template": _("modèle de courrier modifié"),
    "reset_letter_template": _("modèle de courrier rétabli"),
    "set_grant_policy": _("règles d'attribution modifiées"),
    "set_co_funding": _("cofinancement modifié"),
    "declare_linked_undertaking": _("entreprise liée déclarée"),
    "confirm_linked_undertaking": _("lien avec une entreprise liée confirmé"),
    "contest_linked_undertaking": _("lien avec une entreprise liée contesté"),
    "amend_award": _("aide modifiée par avenant"),
    "award_aid": _("aide de minimis enregistrée (plateforme)"),
    "declared_aid": _("aide de minimis déclarée"),
    "imported_aid": _("aide de minimis importée"),
    # Agreements (pepiniere.agreements)
    "prepare_agreement": _("convention préparée"),
    "update_agreement": _("convention modifiée (brouillon)"),
    "send_agreement": _("convention envoyée pour signature"),
    "sign_agreement_beneficiary": _("convention signée par le bénéficiaire"),
    "sign_agreement_funder": _("convention signée par le financeur"),
    "amend_agreement": _("avenant préparé"),
    "terminate_agreement": _("convention résiliée"),
    "close_agreement": _("convention soldée"),
    "set_call_schedule": _("échéancier de l'appel modifié"),
    "set_agreement_template": _("modèle de convention modifié"),
    "reset_agreement_template": _("modèle de convention rétabli"),
    # Labels (pepiniere.programmes)
    "label_create": _("label créé"),
    "label_grant": _("label attribué"),
    "label_end": _("fin de détention d'un label"),
    # Call builder
    "call_create": _("création de l'appel"),
    "call_copy": _("création par copie"),
    "call_update": _("réglages modifiés"),
    "question_add": _("question ajoutée"),
    "question_update": _("question modifiée"),
    "question_remove": _("question retirée"),
    "questions_reorder": _("ordre des questions modifié"),
    "grid_update": _("grille d'évaluation modifiée"),
    "document_add": _("document ajouté"),
    "document_remove": _("document retiré"),
    "policy_update": _("règles des courriers modifiées"),
    "call_publish": _("publication"),
    "call_unpublish": _("retrait de la publication"),
    # KPI follow-up (pepiniere.portfolio)
    "ask_kpi_baseline": _("situation de référence demandée"),
    "launch_kpi_campaign": _("campagne d'indicateurs lancée"),
    "close_kpi_campaign": _("campagne d'indicateurs close"),
    "save_kpi_report": _("rapport d'indicateurs enregistré"),
    "submit_kpi_report": _("rapport d'indicateurs transmis"),
    "validate_kpi_report": _("rapport d'indicateurs validé"),
    "return_kpi_report": _("rapport d'indicateurs renvoyé pour correction"),
    "correct_kpi_report": _("indicateur corrigé"),
    "import_kpi_reports": _("indicateurs importés en masse"),
    "remind_kpi_campaign": _("relance de la campagne d'indicateurs"),
    # Accelerator (pepiniere.accelerator)
    "form_cohort": _("cohorte d'accélération constituée"),
    "start_stay": _("séjour d'accélération commencé"),
    "renew_stay": _("séjour d'accélération renouvelé"),
    "graduate_stay": _("séjour d'accélération terminé avec succès"),
    "leave_stay": _("sortie de l'accélérateur avant la fin"),
    "add_mentor": _("mentor ajouté·e au vivier"),
    "propose_mentors": _("mentors proposés pour la cohorte"),
    "swap_mentor": _("mentor remplacé·e dans la proposition"),
    "confirm_mentors": _("mentors confirmés"),
    "record_mentoring_session": _("séance de mentorat saisie"),
    "plan_milestone": _("jalon prévu"),
    "reach_milestone": _("jalon atteint"),
    "miss_milestone": _("jalon manqué"),
    # Payments (pepiniere.payments.workflow)
    "plan_instalments": _("échéancier des versements établi"),
    "replan_instalments": _("échéancier revu après avenant"),
    "request_instalment": _("versement demandé"),
    "check_request": _("demande de versement vérifiée"),
    "return_request": _("demande de versement renvoyée pour correction"),
    "authorise_instalment": _("versement autorisé"),
    "cancel_instalment": _("tranche annulée"),
    "order_instalment": _("tranche mise en paiement"),
    "create_payment_run": _("lot de paiement créé"),
    "confirm_run_paid": _("lot de paiement confirmé payé"),
    "record_payment": _("versement effectué"),
    "release_commitment": _("engagement libéré"),
    "raise_recovery": _("reversement constaté"),
    "issue_recovery": _("titre de recette émis"),
    "record_recovered": _("reversement encaissé"),
    "write_off_recovery": _("reversement admis en non-valeur"),
    # Organisations and accounts
    "update": _("modification"),
    "request_to_join": _("demande de rattachement"),
    "accept_join_request": _("demande de rattachement acceptée"),
    "refuse_join_request": _("demande de rattachement refusée"),
    "invite_member": _("invitation d'un membre"),
    "submit_bank_details": _("coordonnées bancaires transmises"),
    "validate_bank_details": _("coordonnées bancaires validées"),
    "reject_bank_details": _("coordonnées bancaires refusées"),
    "sign_up": _("création du compte"),
    "sign_up_attempt": _("tentative d'inscription avec une adresse existante"),
    "activate": _("activation du compte"),
    "account_closed": _("fermeture du compte"),
    "mfa_enabled": _("double facteur activé"),
    "mfa_disabled": _("double facteur désactivé"),
    "create_api_token": _("jeton d'API créé"),
    "revoke_api_token": _("jeton d'API révoqué"),
    "api_save_application_draft": _("brouillon du dossier enregistré par l'API"),
    "api_save_kpi_draft": _("rapport d'indicateurs enregistré par l'API"),
    "api_submit_kpi_report": _("rapport d'indicateurs transmis par l'API"),
    # Open data (pepiniere.opendata)
    "withhold_open_data": _("ligne retirée des données ouvertes (exception légale)"),
    "restore_open_data": _("ligne rétablie dans les données ouvertes"),
    "import_grants": _("subventions historiques importées"),
    "cancel_import_grants": _("import de subventions annulé"),
    "create_from_import": _("structure créée par un import de subventions"),
    # Administration
    "admin_create": _("création dans l'administration"),
    "admin_change": _("modification dans l'administration"),
    "admin_delete": _("suppression dans l'administration"),
}


def action_label(code: str) -> str:
    """The French label of an audit action; an unknown code (an old row) reads « autre action »
    rather than the code."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else str(_("autre action (%(code)s)") % {"code": code})


def state_label(code: str) -> str:
    """The French name of a state an audit entry records (« déposé »), « — » for none."""
    if not code:
        return "—"
    for provider in state_labels:
        label = provider(code)
        if label is not None:
            return label
    return code
