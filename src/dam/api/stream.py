"""The delivery path: ``GET /stream/{token}/{asset_id}/{recipe}/...``. Playlists, the MPD and the
storyboard's VTT (small text) are answered here; init segments, media segments and sprites are a
302 to a presigned GET that lives ``DAM_STREAM_REDIRECT_TTL`` seconds: bytes never pass through
the API. The token in the path is the credential (no database read for the redirects in the common
case: the generations its MAC covers are remembered by the process)."""

from __future__ import annotations

from typing import Annotated

from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_302_FOUND

from dam.api.access import policy
from dam.api.assets import AssetId
from dam.api.errors import responses
from dam.domain.access import STREAM_TOKEN
from dam.domain.validation import parse_asset_id
from dam.services.streams import PREFIX, Streams

Token = Annotated[
    str, PathParameter(description="The stream token from the asset's `stream` URLs", max_length=200)
]
FilePath = Annotated[
    str,
    PathParameter(
        description="`{recipe}/master.m3u8`, `{recipe}/manifest.mpd`, `{recipe}/v720/seg_00001.m4s`..."
    ),
]
# Text files may be kept briefly by the player's cache: a finished stream's manifests never change.
_TEXT_CACHE = "private, max-age=60"


@get(
    f"{PREFIX}/{{token:str}}/{{asset_id:str}}/{{path:path}}",
    operation_id="getStreamFile",
    summary="A file of an asset's adaptive stream (HLS, DASH, storyboard)",
    tags=["stream"],
    media_type="application/vnd.apple.mpegurl",
    responses={
        302: ResponseSpec(
            data_container=None, description="A segment, init segment or sprite: its presigned URL"
        ),
        **responses(400, 403, 404, 422),
    },
    opt=policy(STREAM_TOKEN),
    status_code=200,
)
async def stream_file(
    token: Token, asset_id: AssetId, path: FilePath, streams: NamedDependency[Streams]
) -> Response[str] | Redirect:
    """Playlists, the MPD and the VTT as text (200); every other file as a 302 to storage. 403 for a
    forged, expired or revoked token, 404 for a file the stream does not have."""
    asset = parse_asset_id(asset_id)
    relative = path.lstrip("/")
    if streams.is_text(relative):
        text = await streams.text(token, asset, relative)
        return Response(text.body, media_type=text.content_type, headers={"Cache-Control": _TEXT_CACHE})
    url = await streams.redirect(token, asset, relative)
    # Presigned URLs expire: neither the redirect nor its target may be kept.
    headers = {"Cache-Control": "private, no-store"}
    return Redirect(url, status_code=HTTP_302_FOUND, headers=headers, media_type=MediaType.TEXT)
