"""Explanations that name an option by a letter, in each course language, and texts that only look like it."""
import pytest

from lms.content.letters import letter_reference

LETTER_REFERENCES = [
    "Option b ignores it.",
    "so options c and d are wrong.",
    "so b is wrong.",
    "The right answer is (c).",
    "answers b and d are right",
    "поэтому варианты c и d неверны.",
    "Вариант б — правило прежнего кодекса.",
    "Правильный ответ — вариант «в».",
    "сондықтан c және d нұсқалары қате.",
    "a нұсқасы — қазір ауыстырылған ереже.",
    "ошондуктан b варианты туура эмес.",
    "shuning uchun c va d variantlari noto‘g‘ri.",
    "Варианти a Кодекси интихоботи кӯҳна аст.",
    "бинобар ин вариантҳои c ва d нодурустанд.",
    "şonuň üçin b jogaby nädogry.",
    "c we d jogaplary nädogry.",
]

PLAIN_TEXTS = [
    "A written request made on time is not enough to answer a question of eligibility.",
    "The voter makes a choice in the booth; there is a variant of this rule in Kazakhstan.",
    "Вариантов в законе несколько, а не один.",
    "Ответ в том, что ящик опечатывают при наблюдателях.",
    "Qonunning 2015-yilgi tahriri: «Saylov kuni» javobi noto‘g‘ri.",
    "Төраға ең алдымен не істеуі керек? «Бірден бас тарту» деген жауап қате.",
    "Plan B is not in the law; section 5(b) of the instruction applies.",
]


@pytest.mark.parametrize("text", LETTER_REFERENCES)
def test_a_letter_reference_is_found(text):
    assert letter_reference(text) is not None


@pytest.mark.parametrize("text", PLAIN_TEXTS)
def test_text_that_names_options_by_their_text_passes(text):
    assert letter_reference(text) is None, letter_reference(text)
