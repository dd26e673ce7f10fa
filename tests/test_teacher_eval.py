"""TeacherEvalHook and the PNG of ProjectorDiagnosticsHook in real toy runs."""
import os.path as osp

import pytest
from mmengine.runner import Runner

from vkd_mm.hooks import TeacherEvalHook
from .conftest import TOY_VKD_CONFIG
from .test_runner import toy_cfg

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def test_teacher_is_evaluated_before_training_and_each_validation(toy_data_root, tmp_path):
    cfg = toy_cfg(TOY_VKD_CONFIG, toy_data_root, tmp_path / 'run', max_epochs=2)
    cfg.train_cfg.val_interval = 1
    cfg.custom_hooks = [
        dict(type='ProjectorDiagnosticsHook', interval=1, plot=True),
        dict(type='TeacherEvalHook', before_train=True, every_val=True),
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()

    # the teacher's accuracy under its own prefix: once before training, after each validation
    history = runner.message_hub.get_scalar('teacher/accuracy/top1')
    assert len(history.data[0]) == 3
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert log.count('Teacher evaluation') == 3 and 'teacher/accuracy/top1' in log
    # a frozen teacher gives the same accuracy every time
    assert len(set(history.data[0].tolist())) == 1

    # the diagnostics history as a picture
    png = osp.join(runner.log_dir, 'projector_diagnostics.png')
    with open(png, 'rb') as file:
        assert file.read(8) == PNG_MAGIC
    assert osp.getsize(png) > 10000
    hook = next(h for h in runner.hooks if type(h).__name__ == 'ProjectorDiagnosticsHook')
    orth = hook.history['pairs.pooled.projector']['orth_err']
    assert [step for step, _ in orth] == list(range(1, runner.iter + 1))


def test_a_teacher_equal_to_the_student_scores_the_students_accuracy(toy_data_root, tmp_path):
    """The hook evaluates what the student's validation evaluates, on the same data."""
    cfg = toy_cfg(TOY_VKD_CONFIG, toy_data_root, tmp_path / 'run', max_epochs=1)
    cfg.model.teacher = cfg.model.student
    cfg.model.distill[0].teacher.channels = 64
    cfg.custom_hooks = [dict(type='TeacherEvalHook', before_train=False, every_val=True)]
    runner = Runner.from_cfg(cfg)
    model = runner.model
    model.student.init_weights()
    model.teacher.load_state_dict(model.student.state_dict())
    student_metrics = runner.val()
    hook = next(h for h in runner.hooks if isinstance(h, TeacherEvalHook))
    assert hook.metrics == pytest.approx(student_metrics)


def test_the_hook_needs_a_distiller(toy_data_root, tmp_path):
    from .conftest import TOY_STUDENT_CONFIG
    cfg = toy_cfg(TOY_STUDENT_CONFIG, toy_data_root, tmp_path / 'run', max_epochs=1)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(AttributeError, match='needs a distiller with a `teacher`'):
        TeacherEvalHook().evaluate(runner)
