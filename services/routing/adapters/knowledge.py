"""What a routing instance knows: the directory and the newest model, kept fresh.

A nameko dependency provider. Each instance keeps the current
:class:`Directory` and learner in memory (a decision must take milliseconds)
and reloads either when the stored version moves on -- another instance
changed the directory or trained a model -- checked by ``refresh()`` on a
timer. The first use seeds the directory from the city file when routing's
database has none.
"""
import logging
import threading
from functools import partial

from nameko.extensions import DependencyProvider

from services.routing.adapters.directory import announcement
from services.routing.domain.directory import Directory, seed_catalogue, seed_departments
from services.routing.domain.keywords import KeywordModel
from services.routing.domain.rules import DEFAULT_CO_HANDLER_THRESHOLD
from services.routing.learning import stored, training
from shared.platform.city import DEFAULT_DIRECTORY_FILE, load_city
from shared.platform.config import data_file
from shared.platform.unit_of_work import UnitOfWork
from shared.timelimits.calendar_files import BadCalendarFile, load_file, parse
from shared.timelimits.deadlines import DeadlinePolicy

log = logging.getLogger(__name__)

RACE_RETRIES = 20  # versions taken by other instances at once: load again, that many times


def again_on_a_lost_race(work):
    """``work()``, again while another instance takes the version it wanted (publishes nothing:
    the outbox timer publishes what a seed leaves)."""
    return UnitOfWork(lambda event_type, payload: None, RACE_RETRIES).run(work)


class Knowledge:
    def __init__(self, config):
        self.config = config
        self.policy = DeadlinePolicy.from_config(config)
        self.calendar = self.policy.calendar
        self.calendar_state = None
        self.directory = None
        self.model = None  # a trained TextModel, or None before the first training
        self.lock = threading.Lock()  # green under eventlet

    # -- settings ---------------------------------------------------------------

    def setting(self, key, default):
        value = self.config.get(key)
        return default if value in (None, "") else value

    @property
    def learner(self):
        if self.model is not None:
            return self.model
        return KeywordModel(self.directory, float(self.setting("ROUTING_KEYWORD_CONFIDENCE", 0.7)))

    @property
    def type_learner(self):
        """The request-type model trained with the model in use, if one beat the rules."""
        return self.model.types if self.model is not None else None

    @property
    def threshold(self):
        return training.threshold_for(
            self.learner, self.setting("ROUTING_THRESHOLD", "auto"),
            float(self.setting("ROUTING_MIN_THRESHOLD", 0.2)),
            float(self.setting("ROUTING_KEYWORD_THRESHOLD", 0.5)))

    @property
    def co_handler_threshold(self):
        """A second department the learner ranks this sure is proposed as co-handler (协办)."""
        return float(self.setting("ROUTING_CO_HANDLER_THRESHOLD", DEFAULT_CO_HANDLER_THRESHOLD))

    @property
    def target_precision(self):
        return float(self.setting("ROUTING_TARGET_PRECISION", 0.95))

    # -- loading ----------------------------------------------------------------

    def ready(self, repo):
        """Load on first use (seeding the directory if routing has none).

        ``repo`` is routing's ``DecisionRepository``, with the repositories beside it.
        """
        if self.directory is None:
            with self.lock:
                if self.directory is None:
                    city = load_city(self.config)
                    source = self.config.get("DIRECTORY_FILE") or DEFAULT_DIRECTORY_FILE
                    repo.directory.seed(seed_departments(city), seed_catalogue(city), source,
                              announce=lambda dept: announcement("seed", "routing", f"seeded from {source}")(
                                  dept, 1))
                    self.seed_calendar(repo)
                    self.load_directory(repo)
                    self.load_calendar(repo)
                    self.load_model(repo)
        return self

    def seed_calendar(self, repo):
        """The city's calendar files in ``CALENDAR_DIR`` for the years routing has none of."""
        folder = data_file(self.config, "CALENDAR_DIR", "seed/calendar")
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            try:
                year = load_file(path)
            except (BadCalendarFile, OSError, ValueError) as exc:
                log.error("calendar file %s not loaded: %s", path, exc)
                continue
            again_on_a_lost_race(partial(repo.calendar.load_calendar_year, year.to_document(), "routing",
                                         f"seeded from {path.name}", only_if_new=True))

    def load_calendar(self, repo):
        years = []
        for document in repo.calendar.calendar_documents():
            try:
                years.append(parse(document))
            except BadCalendarFile as exc:  # stored by hand or by an older release
                log.error("stored calendar of %s ignored: %s", document.get("year"), exc)
        self.calendar.set_years(years)
        self.calendar_state = repo.calendar.calendar_version()
        log.info("calendar: city files for %s", ", ".join(str(y.year) for y in years) or "no year")

    def load_directory(self, repo):
        state = repo.directory.directory_state()
        departments, catalogue, _ = repo.directory.load_directory()
        self.directory = Directory(departments, catalogue, state[0])
        self.directory_state = state
        version = state[0]
        log.info("directory version %d: %d departments in service", version, len(self.directory.departments))

    def load_model(self, repo, doc=None):
        doc = doc or repo.learning.latest_model() or self.model_from_file(repo)
        if doc is None:
            return
        self.model = stored.loads(repo.learning.model_bytes(doc["version"]), doc["version"], doc.get("meta")).warm()
        log.info("model version %d loaded (%s examples, threshold in force %.3f)",
                 doc["version"], doc["meta"].get("examples"), self.threshold)

    def model_from_file(self, repo):
        """``ROUTING_MODEL_FILE``, stored as the first version when routing's database has no model.

        A model trained before (``hotline routing build-model``, or the last ``train``:
        routing writes each model it trains there too) is loaded at start instead of
        routing coming up without one -- with the in-memory store, on every start.
        """
        path = self.config.get("ROUTING_MODEL_FILE")
        if not path:
            return None
        try:
            data, meta = stored.load_file(path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a broken file must not keep routing down: keywords decide
            log.error("model file %s not loaded: %s", path, exc)
            return None
        again_on_a_lost_race(lambda: repo.learning.save_model(data, dict(meta, reason=f"loaded from {path}",
                                                                            size=len(data))))
        return repo.learning.latest_model()

    def save_file(self, model):
        path = self.config.get("ROUTING_MODEL_FILE")
        if path:
            try:
                stored.save_file(model, path)
            except OSError as exc:
                log.error("model not written to %s: %s", path, exc)

    def refresh(self, repo):
        """Reload what another instance changed; True if anything was reloaded."""
        self.ready(repo)
        changed = False
        if repo.directory.directory_state() != self.directory_state:
            self.load_directory(repo)
            changed = True
        if repo.calendar.calendar_version() != self.calendar_state:
            self.load_calendar(repo)
            changed = True
        doc = repo.learning.latest_model()
        if doc and (self.model is None or doc["version"] > self.model.version):
            self.load_model(repo, doc)
            changed = True
        return changed


class KnowledgeProvider(DependencyProvider):
    def setup(self):
        self.knowledge = Knowledge(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.knowledge
