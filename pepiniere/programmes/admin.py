from django.contrib import admin

from pepiniere.programmes.models import Axis, Funder, Programme


class AxisInline(admin.TabularInline):
    model = Axis
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["title", "funder", "start_date", "end_date"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [AxisInline]


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    prepopulated_fields = {"slug": ("name",)}
