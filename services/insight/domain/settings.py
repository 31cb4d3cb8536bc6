"""What the reports are computed with: the city's zone, the windows, the tests' and
the staffing's parameters (``bootstrap.settings`` reads them from ``INSIGHT``)."""
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services.insight.domain.spikes import SpikeSettings
from services.insight.domain.staffing import StaffingSettings


@dataclass
class InsightSettings:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    window_days: int = 14
    recent_days: int = 7
    spikes: SpikeSettings = field(default_factory=SpikeSettings)
    staffing: StaffingSettings = field(default_factory=StaffingSettings)
