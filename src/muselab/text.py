"""Small text helpers shared by the parser, composer, verifier and search."""

from __future__ import annotations

import re
from functools import lru_cache

# A link is anything a reader would follow: with a scheme (any case), a www. host, or host.tld/path with a
# usual top-level domain; inside Markdown links and <angle brackets> alike. The independent checker
# (../shared/tools/check_answer.py) finds the same forms.
_STOP = r"\s)\]>\"'`*<"
URL_RE = re.compile(rf"https?://[^{_STOP}]+", re.I)
TLDS = ("com|org|net|io|ai|co|dev|app|me|xyz|info|gg|tv|ly|edu|gov|uk|de|fr|jp|cn|kr|ru|in|us|ca|eu|au|nl|ch|"
        "se|it|es|br|site|page|tech|cloud|space|art|studio|so|sh|to|cc|fm|im|is|ac")
BARE_URL_RE = re.compile(rf"(?<![\w./@:-])(?:www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^{_STOP}]*)?"
                         rf"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{TLDS})/[^{_STOP}]+)", re.I)
ARXIV_ID_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_ARXIV_URL_RE = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})", re.I)
_GITHUB_RE = re.compile(r"github\.com/([^/\s]+)/([^/\s#?]+)", re.I)


STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also get got getting like really
    use used using make makes made way ways one ones thing things anyone someone something
    know want wants need needs tell look looks looked seem seems even still much many well
    lot lots able may might must shall us let lets i'm it's don't can't what's
    """.split()
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper, enough to match 'styles'/'style', 'upscaling'/'upscale'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


# words too common in this field to show that two texts (or a question and the field) share a subject
GENERIC = {stem(w) for w in """image images model models ai generation generate generated generating method methods
    approach approaches result results propose proposed present paper work task tasks data new novel based use
    existing state art performance show shows demonstrate high different various way experiment experiments
    framework system systems learning deep neural network networks create created creating make visual""".split()}


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, hyphens, underscores and slashes as spaces, and a phrasal verb
    split by its object rejoined ('cut him out' -> 'cut out him'), so that the phrase 'cut out' is found."""
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    return SPLIT_PARTICLE.sub(r"\1 \3 \2", re.sub(r"[-_/]+", " ", text))


SPLIT_PARTICLE = re.compile(r"\b([a-z]+) (him|her|it|them|me|us) (out|up|off|away|back|down|over|in)\b")


@lru_cache(maxsize=4096)
def stem_seq(text: str) -> list[str]:
    """Content-word stems in order, hyphenated words split ('real-world' -> real, world)."""
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1]


# the size factor a user asks for ("2x", "x4", "4 x"); also read from model names ("...-x2")
SCALE_RE = re.compile(r"(?<![a-z0-9])(\d{1,2})\s?x(?![a-z0-9])|(?<![a-z0-9])x(\d{1,2})(?![a-z0-9])")


def asked_scale(text: str) -> int | None:
    m = SCALE_RE.search(text.lower())
    return int(m.group(1) or m.group(2)) if m else None


# What a question asks to be made, read from its grammar rather than its topic: a making verb followed
# closely by the kind of thing made ('make sound that fits the video' makes audio, not video), or a
# still picture said to move ('the photo started blinking' is a video). Only kinds other than a still
# image are read: nearly every question makes or touches an image, so an image says nothing.
_MADE = {
    # (a music video is a video)
    "audio": r"sounds?|audio|music(?! videos?\b)|songs?|soundtracks?|voices?|speech|sound effects|foley",
    # (not 'film': 'add film grain'); a talking or singing avatar is a clip of a face that moves
    "video": r"videos?|clips?|animations?|movies?|footage|gifs?|(?:talking|singing|speaking) (?:avatars?|heads?)",
    "3d": r"3d (?:models?|mesh(?:es)?|objects?|assets?|prints?|scenes?|avatars?|characters?|figures?|figurines?)|"
          r"meshes|mesh|3d printable",
}
_MAKING = r"(?:make|makes|making|made|create|creates|created|creating|generate|generates|generated|generating|" \
          r"produce|produces|produced|producing|compose|composes|composed|add|adds|added|adding)"
_INTO = r"(?:turn|turns|turned|turning|convert|converts|converted|converting|transform|transforms|transformed)"
# between the verb and the thing made: articles, sizes and at most one free word ('add footsteps sound'),
# but no possessive: 'make my video sharper' improves a video the user has, it does not make one
_ARTICLE = r"(?:(?:a|an|some|whole|full|short|long|matching|realistic|new|own|real|" \
           r"[0-9]+(?: ?s(?:ec(?:onds?)?)?)?)\s+){0,4}" \
           r"(?:(?!(?:my|your|his|her|its|our|their|the|this|that|these|those)\b)[a-z]+\s+)?"
_STILL = r"(?:(?:photo|picture|portrait|painting|image|still|selfie|drawing|photograph|sketch|screenshot|" \
         r"illustration|render)s?)"
_MOVING = r"(?:move|moves|moved|moving|blink|blinks|blinking|come alive|came alive|comes alive|" \
          r"come to life|comes to life|came to life|animate|animates|animated|animating|dance|dances|dancing|" \
          r"walk|walks|walking)"
_OUTPUT_RES = [(kind, re.compile(rf"\b{_MAKING}\s+{_ARTICLE}(?P<a>{nouns})\b|\b{_INTO}\b[^.?!]{{0,60}}?\binto\s+"
                                 rf"{_ARTICLE}(?P<b>{nouns})\b"))
               for kind, nouns in _MADE.items()]
_STILL_MOVING = re.compile(rf"\b{_STILL}\b[^.?!,;]{{0,50}}?\b{_MOVING}\b|\b{_MOVING}\s+(?:an?\s+|the\s+|my\s+|old\s+)*{_STILL}\b")


# the user's medium is video ('upscale my video', 'cut him out of the clip'), whatever the task
_VIDEO_WORDS = r"video|videos|clip|clips|footage|movie|film|frames"
_VIDEO_MEDIUM = re.compile(rf"(?<![a-z])({_VIDEO_WORDS})(?![a-z])")


def mentions_video(text: str) -> bool:
    return _VIDEO_MEDIUM.search(normalise(text)) is not None


_MEDIUM_WORD = re.compile(rf"(?:{_VIDEO_WORDS}|{_STILL})")


def is_medium_word(phrase: str) -> bool:
    """'video', 'clip', 'photo': a word that names what a question is about, not what it asks to do."""
    return _MEDIUM_WORD.fullmatch(normalise(phrase).strip()) is not None


# the software a user works in: 'my ComfyUI workflow' says where they are, not that they ask about set-up
_SETTING_WORD = re.compile(r"comfyui|comfy|workflows?|nodes?|forge|a1111|automatic1111|swarmui|invoke")


def is_setting_word(phrase: str) -> bool:
    return _SETTING_WORD.fullmatch(normalise(phrase).strip()) is not None


_STILL_WORD = re.compile(rf"(?<![a-z]){_STILL}(?![a-z])")


# the user's material is sound ('my grandma's vinyl', 'background noise in my podcast'), which pictures do not
# have: read when no picture or video is named beside it
_AUDIO_MEDIUM = re.compile(r"(?<![a-z])(audio|podcasts?|vinyl|cassettes?|songs?|music|voices?|speech(?! bubbles?)|"
                           r"vocals?|singing|singers?|microphones?|mics?|crackle|hiss|mp3|wav)(?![a-z])")


def mentions_audio(text: str) -> bool:
    return _AUDIO_MEDIUM.search(normalise(text)) is not None


# something to look at, said in other words than a photo or a video: 'cover art for my song' is a picture
_LOOKED_AT = re.compile(r"(?<![a-z])(art|artwork|covers?|thumbnails?|posters?|logos?|visuals?|visuali[sz]ers?|"
                        r"avatars?|characters?|faces?|scenes?|3d)(?![a-z])")


def names_a_picture(text: str) -> bool:
    """The question names something seen: a still, a video, or a picture in other words (cover art)."""
    t = normalise(text)
    return bool(_STILL_WORD.search(t) or _VIDEO_MEDIUM.search(t) or _LOOKED_AT.search(t))


# the user changes a picture they have rather than making a new one ('speed up my Kontext edits')
_EDITING = re.compile(r"(?<![a-z])(edit|edits|edited|editing|editor|editors|kontext|inpaint|inpainting|"
                      r"retouch\w*)(?![a-z])")


def mentions_editing(text: str) -> bool:
    return _EDITING.search(normalise(text)) is not None


def mentions_still(text: str) -> bool:
    """A still picture is named ('my photo', 'a screenshot'): what the user starts from, often."""
    return _STILL_WORD.search(normalise(text)) is not None


def asked_output(text: str) -> str | None:
    """The kind of thing a question asks to be made, when it says one other than an image: 'audio',
    'video' or '3d'; the first one written wins."""
    made = _made(normalise(text))
    return made[1] if made else None


def _made(t: str) -> tuple[int, str, int, int, bool] | None:
    """(position, kind, span of the noun, whether it is a still picture said to move) of the first thing a
    normalised question asks to be made."""
    found = [(m.start(), kind, *m.span("a" if m.group("a") else "b"), False)
             for kind, rx in _OUTPUT_RES if (m := rx.search(t))]
    if (m := _STILL_MOVING.search(t)):
        found.append((m.start(), "video", m.start(), m.end(), True))
    return min(found) if found else None


# Which way a question goes between words and a picture: 'a picture from my prompt' is made from words,
# 'the prompt from this picture' is read off one. Novice wordings of both sit close in meaning (the same
# words, either way round), so the grammar decides: what is made, and what it is made from.
_PICTURES = r"(?:pictures?|images?|photos?|illustrations?|drawings?|paintings?|portraits?|art|artwork|wallpapers?)"
_WORDS = r"(?:prompts?|text|words|sentences?|descriptions?|captions?|a line|one line)"
_DETERMINER = r"(?:(?:a|an|the|my|your|just|only|some|one|few|this|that|simple|short|written|typed)\s+){0,3}"
_TO_PICTURE = re.compile(
    rf"\b{_MAKING}\b[^.?!]{{0,60}}?\b{_PICTURES}\b[^.?!]{{0,40}}?\b(?:from|out of|using|based on)\s+{_DETERMINER}"
    rf"{_WORDS}(?![a-z])|(?<![a-z]){_WORDS}\s+(?:in)?to\s+(?:an?\s+)?{_PICTURES}\b|"
    rf"(?<![a-z]){_WORDS}\s+(?:\w+\s+){{0,2}}(?:gives?|gave|giving|{_MAKING})\s+{_DETERMINER}(?:\w+\s+){{0,2}}"
    rf"{_PICTURES}\b|"
    rf"\b(?:type|types|typed|typing|write|writes|wrote|writing|enter|enters|entered)\b\s+{_DETERMINER}{_WORDS}"
    rf"[^.?!]{{0,60}}?\b(?:and|then)\s+(?:\w+\s+){{0,2}}(?:get|gets|got|getting)\s+(?:\w+\s+){{0,3}}{_PICTURES}\b|"
    # a prompt quoted or described, and what came back: 'I asked for "a red car by a blue house" and got a blue car',
    # 'I typed "a crane" but got a bird'
    rf"\b(?:asked|prompted|typed|wrote|entered)\s+(?:(?:\w+\s+){{0,2}}for\s+|['\"])[^.?!]{{1,80}}?\b(?:and|but)\s+"
    rf"(?:\w+\s+){{0,2}}"
    rf"(?:got|get|gets|received)\b")
_TO_WORDS = re.compile(
    rf"(?<![a-z]){_WORDS}\s+(?:\w+\s+){{0,2}}(?:(?:from|of|behind)\s+(?:a|an|the|this|that|my|your|these|those|"
    rf"any|existing|someone's)?|for\s+(?:this|that|these|those|an existing|existing))\s*(?:\w+\s+)?{_PICTURES}\b|"
    rf"\b{_PICTURES}\s+(?:in)?to\s+(?:an?\s+)?{_WORDS}(?![a-z])")


# a picture the user has, turned (made) into another: 'turn my drawing into a realistic photo' starts from one
_PICTURE_INTO = re.compile(rf"\b(?:{_INTO}|make|makes|made|making|change|changes|changed|changing)\s+"
                           rf"(?:my|our|this|that|the|a|an|his|her|their|old|own|\s)*(?:\w+\s+){{0,2}}"
                           rf"(?:{_PICTURES}|{_STILL})\s+into\s+(?!(?:an?\s+|the\s+)?{_WORDS}(?![a-z]))")


def words_and_picture(text: str) -> str | None:
    """'picture' when the question asks for a picture made from words, 'words' when it asks for the words
    of a picture (its prompt, a caption), 'from picture' when it asks to turn a picture it has into another,
    None when it says none of them or two."""
    t = normalise(text)
    found = [way for way, rx in (("picture", _TO_PICTURE), ("words", _TO_WORDS), ("from picture", _PICTURE_INTO))
             if rx.search(t)]
    return found[0] if len(found) == 1 else None


_WORDING = re.compile(rf"(?<![a-z])(?:{_WORDS}|lyrics|typing|typed|type)(?![a-z])")


def asked_conversion(text: str) -> tuple[str | None, str] | None:
    """(what it starts from, what it asks to be made) for a question that asks for something other than an
    image: a still picture made to move is ('image', 'video'), 'sound that fits the video' is ('video',
    'audio'), 'one sentence into a video' ('text', 'video'); the start is None when it is not said."""
    t = normalise(text)
    made = _made(t)
    if made is None:
        return None
    _, kind, start, end, still_moving = made
    if still_moving:
        return "image", kind
    rest = t[:start] + " " * (end - start) + t[end:]  # the words besides the thing made
    if kind != "video" and _VIDEO_MEDIUM.search(rest):
        return "video", kind
    if _STILL_WORD.search(rest):
        return "image", kind
    if _WORDING.search(rest):
        return "text", kind
    return None, kind


# kinds of picture a question or a model can be about; they steer model choice and are echoed in answers
DOMAINS = ("anime", "cartoon", "illustration", "manga", "animation", "photo", "portrait", "face", "video",
           "pixel art", "sketch", "line art", "game", "3d")


def domains_in(text: str) -> list[str]:
    """The DOMAINS a text mentions, in DOMAINS order ('photos' counts as photo)."""
    t = normalise(text)
    return [d for d in DOMAINS if re.search(rf"(?<![a-z0-9]){d}", t)]


_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\\(\"“])")


def a_kind(noun_phrase: str) -> str:
    """The phrase with its indefinite article: 'an image restoration model', 'a video model'."""
    return f"{'an' if noun_phrase[:1].lower() in 'aeiou' else 'a'} {noun_phrase}"


def sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s.strip() for s in _SENT_RE.split(text) if s.strip()]


def norm_url(url: str) -> str:
    """One key per source: arXiv abs/pdf/html and versions collapse to the id, GitHub links to
    owner/repo (never the owner alone), anything else to host+path, without scheme, www. or case."""
    url = url.strip().rstrip(".,;:")
    m = _ARXIV_URL_RE.search(url)
    if m:
        return f"arxiv:{m.group(1)}"
    m = _GITHUB_RE.search(url)
    if m:
        repo = m.group(2)
        repo = repo[:-4] if repo.lower().endswith(".git") else repo
        return f"github:{m.group(1).lower()}/{repo.lower()}"
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return url.rstrip("/")


def link_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, link) of every link in order: with a scheme, or bare (www.x.y/..., github.com/a/b)."""
    spans = [(m.start(), m.end(), m.group(0)) for m in URL_RE.finditer(text)]
    rest = URL_RE.sub(lambda m: " " * len(m.group(0)), text)
    spans += [(m.start(), m.end(), m.group(0)) for m in BARE_URL_RE.finditer(rest)]
    return sorted(spans)


def find_urls(text: str) -> list[str]:
    """Every link in the text, in order of appearance, without trailing punctuation."""
    return [u.rstrip(".,;:") for _, _, u in link_spans(text)]


def arxiv_ids(text: str) -> set[str]:
    return set(ARXIV_ID_RE.findall(text))


def arxiv_id_of(url: str | None) -> str | None:
    if not url:
        return None
    m = _ARXIV_URL_RE.search(url)
    return m.group(1) if m else None


def slug(text: str, sep: str = "-") -> str:
    return sep.join(re.findall(r"[A-Za-z0-9]+", text)) or "x"


# -- catalog descriptions --------------------------------------------------------
# Open Model Database and ComfyUI-Manager descriptions are written by model authors for a web page:
# markdown, sample-image links, donation requests. An answer quotes them as the model's summary,
# so ingest keeps the words that describe the model and drops the page furniture.

_MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_REPO_RE = re.compile(r"<?https?://(?:www\.)?(?:github\.com|huggingface\.co)/([\w-]+/[\w-]+(?:\.\w+)*)(?:[^\s<>,;)]*[^\s<>,;).])?>?", re.I)
# a URL with the short "Label:" in front of it that introduces it ("Sample images: https://...")
_LABELLED_URL_RE = re.compile(r"(?:\b[A-Z][\w-]*(?: [\w-]+){0,2}:\s*)?<?https?://[^\s>]*>?")
_TRAILING_LABEL_RE = re.compile(r"(?:\s*\b[A-Z][\w-]*(?: [\w-]+){0,2}:)+\s*$")
_BEGGING_RE = re.compile(r"\b(donat\w*|ko-?fi|patreon|buy me a coffee|support my work|any support)\b", re.I)


def _link_text(m: re.Match) -> str:
    text = m.group(1).strip()
    text = text[2:] if text.startswith("a/") else text  # ComfyUI-Manager marks outside links "a/"
    return _REPO_RE.sub(r"\1", text) if text.startswith("http") else text


def clean_description(text: str | None, limit: int = 600) -> str:
    """A catalog description as plain sentences: markdown links become their text, GitHub and
    Hugging Face URLs become owner/repo, other URLs (sample images, chat servers) go with their
    label, donation requests go; cut at a sentence end within `limit` characters."""
    text = re.sub(r"<(?!https?:)[a-zA-Z/][^>]*>", " ", str(text or ""))  # HTML tags, not <URL>s
    text = _MD_LINK_RE.sub(_link_text, _MD_IMAGE_RE.sub(" ", text))
    text = re.sub(r"\*\*|__|`|^#+\s*", "", _REPO_RE.sub(r"\1", text), flags=re.M)
    text = _LABELLED_URL_RE.sub(" ", text)
    kept = [s for s in sentences(text) if not _BEGGING_RE.search(s)]
    kept = [t for s in kept if (t := re.sub(r"\s+([,.;:!?])", r"\1", _TRAILING_LABEL_RE.sub("", s)).strip())]
    out = ""
    for s in kept:
        if len(out) + len(s) + 1 > limit:
            break
        out = f"{out} {s}".strip()
    if not out and kept:  # one long sentence: cut at a word
        out = kept[0][: limit - 1].rsplit(" ", 1)[0] + "…"
    return out
