"""Serves the built PWA (field app at /app/, console at /console/) and the offline API docs assets.

Everything the browser loads comes from this server: the insurer networks are closed, so there is
no CDN anywhere.
"""

from __future__ import annotations

from pathlib import Path

import openapi_ui_bundles.redoc
import openapi_ui_bundles.swagger_ui
from flask import Blueprint, current_app, send_from_directory
from werkzeug.exceptions import NotFound

from server.auth.access import public
from server.errors import HuifangError

bp = Blueprint("web", __name__)

DOC_ASSETS = {
    "swagger_ui": openapi_ui_bundles.swagger_ui.static_path,
    "redoc": openapi_ui_bundles.redoc.static_path,
}

LANDING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>回访通</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;
background:#f5f7fa;color:#1f2d3d;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;padding:32px 40px;max-width:420px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{margin:0 0 4px;font-size:28px}p{color:#5a6b7b;margin:0 0 24px}
a{display:block;padding:14px 16px;margin:10px 0;border-radius:8px;background:#1677ff;color:#fff;
text-decoration:none;font-size:18px}a.secondary{background:#eef3ff;color:#1677ff}
</style></head><body><main>
<h1>回访通</h1><p>寿险客户上门回访系统 · Huifang field-visit callbacks</p>
<a href="/app/">外勤面访（客户服务专员）<br><small>Field app</small></a>
<a href="/console/">管理控制台<br><small>Office console</small></a>
<a class="secondary" href="/api/v1/docs">API 文档 · API docs</a>
</main></body></html>"""


def _dist() -> Path:
    dist = Path(current_app.config["HUIFANG_PWA_DIST"])
    if not (dist / "app" / "index.html").exists():
        raise HuifangError(
            "pwa_not_built",
            "前端尚未构建，请运行 make install",
            "The PWA has not been built; run `make install`",
            503,
            {"dist": str(dist)},
        )
    return dist


def _no_cache(response):
    # The HTML shells and the service worker must be revalidated so that an update reaches tablets.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page(entry: str, path: str):
    dist = _dist()
    if path:
        try:
            response = send_from_directory(dist / entry, path)
        except NotFound:
            if "." in path.rsplit("/", 1)[-1]:
                raise  # a missing file is a 404, not the app shell
            response = send_from_directory(dist / entry, "index.html")
    else:
        response = send_from_directory(dist / entry, "index.html")
    if not path or path.endswith((".html", "sw.js", ".webmanifest")) or "." not in path:
        _no_cache(response)
    return response


@bp.route("/")
@public
def landing():
    return LANDING, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.route("/app/", defaults={"path": ""})
@bp.route("/app/<path:path>")
@public
def field_app(path):
    return _page("app", path)


@bp.route("/console/", defaults={"path": ""})
@bp.route("/console/<path:path>")
@public
def console(path):
    return _page("console", path)


@bp.route("/assets/<path:path>")
@public
def assets(path):
    response = send_from_directory(_dist() / "assets", path)
    # File names carry a content hash: they never change, so browsers may keep them for a year.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.route("/api/v1/docs-assets/<bundle>/<path:path>")
@public
def doc_assets(bundle, path):
    if bundle not in DOC_ASSETS:
        raise NotFound()
    return send_from_directory(DOC_ASSETS[bundle], path)
