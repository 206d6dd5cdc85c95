"""The counter plugin's own share of a build, measured inside one build process.

Timing two separate builds on a shared 2-core machine swings by ±10 % from pair to pair, which
is more than the effect being measured. This measures what the plugin itself costs in the same
build, so machine noise falls on both sides of the ratio alike: every entry point of the plugin
(its signal handlers, and the template calls that render the widget and the script tag) is
wrapped with a timer, the site is built once, and the ratio is

    build time ÷ (build time − time spent inside the plugin).

It leaves out indirect costs (the extra bytes Jinja writes for each placeholder), which the
paired builds in ``bench.plugin_overhead`` include.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

from shared.targets import PROJECT_ROOT

PLUGINS = PROJECT_ROOT / "plugins"


class PluginClock:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._depth = 0

    def wrap(self, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self._depth += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:  # nested plugin calls are counted once
                    self.seconds += time.perf_counter() - started
                    self.calls += 1

        return timed


def instrument(clock: PluginClock) -> None:
    """Wrap the plugin's entry points before Pelican loads it (it reuses the imported module)."""
    if str(PLUGINS) not in sys.path:
        sys.path.insert(0, str(PLUGINS))
    import visitor_counter
    from visitor_counter import plugin

    for name in ("configure", "expose_to_templates", "collect_written_page", "write_outputs"):
        timed = clock.wrap(getattr(plugin, name))
        setattr(plugin, name, timed)
        setattr(visitor_counter, name, timed)  # register() connects these names
    for method in ("widget", "script_tag"):
        setattr(plugin.CounterBuild, method, clock.wrap(getattr(plugin.CounterBuild, method)))


def measure(content_dir: Path, output: Path) -> tuple[float, float, int]:
    """(build seconds, seconds inside the plugin, plugin calls) for one build with the plugin on."""
    from bench.sitegen import GeneratedSite, build

    clock = PluginClock()
    instrument(clock)
    started = time.perf_counter()
    build(GeneratedSite(content_dir, []), output, counter=True)
    return time.perf_counter() - started, clock.seconds, clock.calls


if __name__ == "__main__":
    total, inside, calls = measure(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{total} {inside} {calls}")
