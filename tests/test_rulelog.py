"""Rule-script logging: the console gets one progress line every N epochs, the log file every epoch."""

import pytest

from adago.rulelog import epoch_progress, setup


def test_progress_shows_every_nth_epoch_on_the_console_and_every_epoch_in_the_log_file(tmp_path, capsys):
    log_file = tmp_path / "train.log"
    progress = epoch_progress(setup(str(log_file), name="adago-test-progress"), every=3, job="tuned douban/adago/seed1")
    for epoch in range(1, 8):
        progress(f"adago epoch {epoch}: loss=1")
    console = capsys.readouterr().err.splitlines()
    assert [line.split(" INFO ")[1] for line in console] == [
        "tuned douban/adago/seed1: adago epoch 3: loss=1", "tuned douban/adago/seed1: adago epoch 6: loss=1"]
    logged = log_file.read_text()
    assert all(f"adago epoch {epoch}: loss=1" in logged for epoch in range(1, 8))


def test_a_progress_interval_below_one_names_the_config_key(tmp_path):
    with pytest.raises(ValueError, match="training.progress_every"):
        epoch_progress(setup(None, name="adago-test-progress0"), every=0, job="x")
