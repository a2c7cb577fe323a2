from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("porteur de projet")
    OFFICER = "officer", _("chargé·e de mission")
    REVIEWER = "reviewer", _("expert·e")
    JURY = "jury", _("membre du jury")
    FINANCE = "finance", _("finances")
    ADMIN = "admin", _("administrateur·rice")


# Roles that act for a funder: an officer of one funder does not see another funder's calls.
FUNDER_ROLES = {Role.OFFICER, Role.JURY, Role.FINANCE}


class EmailUserManager(UserManager["User"]):
    def _create_user_object(self, username: Any, email: Any, password: Any, **extra: Any) -> User:
        email = self.normalize_email(email or username).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        user = self._create_user_object(email, email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        user = self._create_user_object(email, email, password, **extra)
        user.save(using=self._db)
        return user


class User(AbstractUser):
    """A person. Logs in with an email address; roles are granted by RoleGrant rows."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("adresse électronique"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=150)
    language = models.CharField(
        _("langue"), max_length=5, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    # An administrator may require a second factor of any account (staff need one anyway when
    # MFA_REQUIRED_FOR_STAFF is on; see accounts/mfa.py).
    mfa_required = models.BooleanField(
        _("double facteur obligatoire"),
        default=False,
        help_text=_("La connexion demande un code en plus du mot de passe."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]
    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def has_role(self, role: str) -> bool:
        if role == Role.ADMIN and self.is_superuser:
            return True
        return role in self.role_set

    @property
    def role_set(self) -> set[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = set(self.role_grants.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def funder_ids(self, role: str) -> set[int]:
        """Funders this user acts for in `role` (officer, jury, finance)."""
        return set(
            self.role_grants.filter(role=role, funder__isnull=False).values_list(
                "funder_id", flat=True
            )
        )

    @property
    def is_staff_member(self) -> bool:
        """Any funder-side role (the person works for a funder, not as an applicant)."""
        return self.is_superuser or bool(
            self.role_set & {r.value for r in FUNDER_ROLES | {Role.ADMIN}}
        )


class RoleGrant(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_grants", verbose_name=_("compte")
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    # Officers, jury members and finance staff act for one funder; admins and reviewers for none.
    funder = models.ForeignKey(
        "programmes.Funder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
        verbose_name=_("financeur"),
    )

    class Meta:
        verbose_name = _("rôle attribué")
        verbose_name_plural = _("rôles attribués")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "funder"], name="unique_role_grant")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}" + (
            f" ({self.funder})" if self.funder else ""
        )
