"""Unit tests of the SDK's pure parts, run on the build machine's Python
against the bindings `componentize-py bindings` generates (scripts/python/build.sh)."""

import unittest

from pbx_flow import Description, Param, config, debug_text
from pbx_flow.destination import Destination, DestinationError
from wit_world.exports.handler import ParamKind
from wit_world.imports.call import (
    AnsweredCall,
    DialOutcome_Answered,
    DialOutcome_Failed,
    DialOutcome_NoAnswer,
    DialTarget_Extension,
    HangupSide,
    QueueExit_ExitKey,
)
from wit_world.imports.config import Value_Integer, Value_Text


class DestinationTest(unittest.TestCase):
    def test_parses_every_kind_and_prints_it_back(self):
        for text, kind in [
            ("ext:101", "extension"),
            ("queue:sales", "queue"),
            ("vm:100", "voicemail"),
            ("tel:+33123456789", "external"),
        ]:
            d = Destination.parse(f"  {text} ")
            self.assertEqual(d.kind, kind)
            self.assertEqual(str(d), text)
        self.assertEqual(Destination.parse("204"), Destination("extension", "204"))
        self.assertEqual(str(Destination.parse("hangup")), "hangup")

    def test_rejects_bad_text_with_a_hint(self):
        for bad in ["", "ext:", "fax:12", "sales", "١٢"]:
            with self.assertRaises(DestinationError) as e:
                Destination.parse(bad)
            self.assertIn("use ext:NUMBER", str(e.exception))


class KeyMapTest(unittest.TestCase):
    def test_keeps_valid_entries_in_order(self):
        keys = config.key_map(["1=ext:101", " 2 = queue:sales ", "12=ext:1", "x", "3=fax:1", "9=vm:100"])
        self.assertEqual(
            [(k, str(d)) for k, d in keys],
            [("1", "ext:101"), ("2", "queue:sales"), ("9", "vm:100")],
        )


class DebugTextTest(unittest.TestCase):
    def test_writes_outcomes_like_the_host_trace(self):
        answered = DialOutcome_Answered(
            AnsweredCall(DialTarget_Extension("101"), 30000, HangupSide.CALLEE)
        )
        self.assertEqual(
            debug_text(answered),
            'DialOutcome::Answered(AnsweredCall { target: DialTarget::Extension("101"), '
            "talk-ms: 30000, ended-by: HangupSide::Callee })",
        )
        self.assertEqual(debug_text(DialOutcome_NoAnswer()), "DialOutcome::NoAnswer")
        self.assertEqual(debug_text(DialOutcome_Failed('no "route"')), 'DialOutcome::Failed("no \\"route\\"")')
        self.assertEqual(debug_text(QueueExit_ExitKey("1")), "QueueExit::ExitKey('1')")


class DescriptionTest(unittest.TestCase):
    def test_defaults_make_parameters_optional(self):
        d = (
            Description("x", "1.2.3")
            .summary("s")
            .param(Param.integer("retries").label("Attempts").default_integer(3))
            .param(Param.text("who"))
            .into_wit()
        )
        self.assertEqual((d.name, d.version, d.description), ("x", "1.2.3", "s"))
        retries, who = d.params
        self.assertEqual((retries.kind, retries.required, retries.default), (ParamKind.INTEGER, False, Value_Integer(3)))
        self.assertEqual((who.kind, who.required, who.default, who.label), (ParamKind.TEXT, True, None, "who"))
        self.assertNotEqual(retries.default, Value_Text("3"))


if __name__ == "__main__":
    unittest.main()
