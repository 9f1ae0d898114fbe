"""Hypothesis strategies for liminal's values (shared by the round-trip tests)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from liminal.keys.file import KeyFileData, ProviderKeys, StoredKey
from liminal.types import (
    COMMON_PARAMETERS,
    Capabilities,
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    Message,
    ModelInfo,
    ProviderInfo,
    Role,
    TextDelta,
    Usage,
)
from liminal.ui import Preferences

texts = st.text(max_size=30)
ids = st.text(alphabet=string.ascii_lowercase + string.digits + "-._:/", min_size=1, max_size=20)
optional_texts = st.none() | texts
optional_ids = st.none() | ids
counts = st.integers(min_value=0, max_value=10**12)

capabilities = st.builds(
    Capabilities,
    streaming=st.booleans(),
    tools=st.booleans(),
    vision=st.booleans(),
    json_schema=st.booleans(),
    reasoning=st.booleans(),
    system_prompt=st.booleans(),
)

provider_infos = st.builds(
    ProviderInfo,
    id=ids,
    display_name=texts,
    service=texts,
    key_env_var=optional_texts,
    default_base_url=optional_texts,
    base_url_env_var=optional_texts,
    requires_key=st.booleans(),
)

model_infos = st.builds(
    ModelInfo,
    id=ids,
    provider=ids,
    display_name=texts,
    context_window=st.integers(min_value=1, max_value=10**8),
    max_output_tokens=st.integers(min_value=1, max_value=10**7),
    capabilities=capabilities,
    aliases=st.lists(ids, max_size=3).map(tuple),
    deprecated=st.booleans(),
    parameters=st.lists(st.sampled_from(COMMON_PARAMETERS) | ids, max_size=6).map(tuple),
    base_url=optional_texts,
    key_env_var=optional_texts,
)

messages = st.builds(Message, role=st.sampled_from(Role), content=texts, model=optional_ids)

parameter_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.lists(texts, max_size=3),
)

chat_requests = st.builds(
    ChatRequest,
    model=ids,
    messages=st.lists(messages, max_size=4).map(tuple),
    system=optional_texts,
    parameters=st.dictionaries(ids, parameter_values, max_size=4),
    timeout=st.none() | st.floats(min_value=0.001, max_value=1e6),
)

text_deltas = st.builds(TextDelta, text=texts)
usages = st.builds(Usage, input=counts, output=counts)
finishes = st.builds(Finish, reason=st.sampled_from(FinishReason), raw_reason=optional_texts)

chat_results = st.builds(
    ChatResult,
    text=texts,
    finish_reason=st.sampled_from(FinishReason),
    model=ids,
    usage=st.none() | usages,
    request_id=optional_texts,
    raw_finish_reason=optional_texts,
)

preferences = st.builds(Preferences, default_model=optional_ids)

stored_keys = st.builds(StoredKey, label=ids, value=st.text(min_size=1, max_size=60))
provider_keys = st.builds(
    ProviderKeys, keys=st.lists(stored_keys, max_size=3).map(tuple), active=optional_ids
)
key_file_data = st.builds(
    KeyFileData,
    version=st.integers(min_value=1, max_value=5),
    providers=st.dictionaries(ids, provider_keys, max_size=3),
)

#: Every value with a JSON form, and the strategy that draws it: what the round trips cover.
BY_TYPE: dict[type, st.SearchStrategy[Any]] = {
    ProviderInfo: provider_infos,
    Capabilities: capabilities,
    ModelInfo: model_infos,
    Message: messages,
    ChatRequest: chat_requests,
    TextDelta: text_deltas,
    Usage: usages,
    Finish: finishes,
    ChatResult: chat_results,
    Preferences: preferences,
    KeyFileData: key_file_data,
}
