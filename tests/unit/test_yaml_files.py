from pathlib import Path

import pytest

from bot.yaml_files import DuplicateKey, FileProblem, YamlFileError, parse_yaml, read_yaml


def test_data_and_item_lines() -> None:
    document = parse_yaml("notices:\n  - id: a\n    text: x\n  - id: b\n")
    assert document.data == {"notices": [{"id": "a", "text": "x"}, {"id": "b"}]}
    assert [span.line for span in document.items("notices")] == [2, 4]
    assert document.items("missing") == ()
    assert document.duplicates == ()


def test_duplicate_keys_are_found_where_written() -> None:
    document = parse_yaml("entries:\n  - id: a\n    q: 1\n    q: 2\n  - {id: b, id: c}\n")
    assert [(d.key, d.line) for d in document.duplicates] == [("q", 4), ("id", 5)]
    first, second = document.items("entries")
    assert [d.key for d in document.duplicates_in(first)] == ["q"]
    assert [d.key for d in document.duplicates_in(second)] == ["id"]
    assert document.data["entries"][0]["q"] == 2  # the data is what a plain load gives


def test_overriding_a_merged_key_is_not_a_duplicate() -> None:
    document = parse_yaml("base: &b {x: 1}\nthing:\n  <<: *b\n  x: 2\n")
    assert document.data["thing"] == {"x": 2}
    assert document.duplicates == ()


def test_equal_keys_spelled_differently_are_duplicates() -> None:
    assert parse_yaml("a: {1: x, 0x1: y}\n").duplicates == (DuplicateKey("0x1", 1, 10),)


def test_syntax_error_gives_line_and_column() -> None:
    with pytest.raises(YamlFileError) as caught:
        parse_yaml("a: 1\nb: [\n")
    assert caught.value.line == 3  # the flow sequence opened on line 2 is still open at the end
    assert caught.value.message.startswith("lỗi cú pháp YAML (dòng 3, cột 1): ")


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "utf16.yaml").write_bytes("a: Việt".encode("utf-16"))
    with pytest.raises(YamlFileError, match="không phải UTF-8"):
        read_yaml(tmp_path / "utf16.yaml")
    with pytest.raises(YamlFileError, match="không đọc được tệp"):
        read_yaml(tmp_path / "missing.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    assert read_yaml(tmp_path / "empty.yaml").data is None


def test_a_problem_says_where_which_item_which_field_and_what() -> None:
    problem = FileProblem("lich.yaml", "hoi-thao", "phải là chuỗi", line=4, field="text")
    assert str(problem) == "lich.yaml:4 [hoi-thao]: text: phải là chuỗi"
    assert problem.what == "text: phải là chuỗi"
    assert str(FileProblem("a.yaml", "mot", "id trùng")) == "a.yaml [mot]: id trùng"
    whole_file = FileProblem("a.yaml", None, "khóa 'x' không được hỗ trợ", field="x")
    assert str(whole_file) == "a.yaml: x: khóa 'x' không được hỗ trợ"
    assert str(FileProblem("a.yaml", None, "tệp trống", line=1)) == "a.yaml:1: tệp trống"
