from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    name = "checklists"
    verbose_name = _("Checklists: forms, the quick-count sample and official results")

    def ready(self):
        # The pipeline reads a checklist's answers through this app (reports never imports it).
        from reports.pipeline_reads import checklist_facts_register

        from .pipeline_facts import checklist_facts

        checklist_facts_register(checklist_facts)

    def demo_load(self, *, election) -> str:
        """The demo's forms, sample and official results (`load_demo` calls
        every app's `demo_load`, so no app imports this one). Idempotent;
        returns a one-line summary."""
        from .demo import load_demo_checklists

        return load_demo_checklists(election=election)

    def offline_pages(self) -> list[str]:
        """The pages the observers' service worker keeps for offline use (it asks every app)."""
        from .web import offline_pages

        return offline_pages()
