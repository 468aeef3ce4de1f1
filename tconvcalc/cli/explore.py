"""``tconvcalc explore``: the interactive page, written to a file or served on localhost."""

from __future__ import annotations

import sys

import click

from ..errors import ParameterError
from .options import FilePath, layer_from, layer_options, ndim_option
from .output import announce, write_files

PAGE_SUFFIXES = (".html", ".htm")


def _check_output(path: str | None) -> None:
    if path is None:
        return
    if not path.lower().endswith(PAGE_SUFFIXES):
        raise ParameterError(f"-o {path} does not end in .html or .htm, explore writes one HTML page; "
                             f"name the file explore.html")


def _serve(page: bytes, port: int, open_browser: bool) -> None:
    """Serve the page on localhost until Ctrl-C; the page itself needs nothing else from the server."""
    import http.server
    import webbrowser

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path.split("?")[0] in ("/", "/index.html")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8" if found else "text/plain")
            body = page if found else b"not found: the explorer is at /\n"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # one line per request would bury the URL
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # A browser that closes its connection mid-answer (a reload, a prefetch) is no error of ours; socketserver
            # would print a traceback for it.  Anything else still gets socketserver's report.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    try:
        server = Server(("127.0.0.1", port), Page)
    except OSError as error:
        raise ParameterError(f"cannot listen on port {port} ({error.strerror}), the page needs a free local port; "
                             f"use --port 0 for any free one") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    click.echo(f"serving the explorer at {url} (Ctrl-C stops)")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()


# Without --in and --k the page opens on the layer most decoders repeat: it doubles a size, has two
# output_paddings to choose from and checkerboards, so every panel has something to show.
FIRST_LAYER = {"input_size": (4,), "kernel_size": (3,), "stride": (2,), "padding": (1,), "output_padding": (1,)}


@click.command()
@layer_options(required=False)
@ndim_option
@click.option("-o", "--output", "output", type=FilePath("explore.html"), default=None,
              help="write the page to this .html file")
@click.option("--serve", is_flag=True, help="serve the page on localhost and open it in a browser; Ctrl-C stops")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="port for --serve (0: any free port)")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="with --serve, open the page in the default browser")
def explore(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, output, serve, port,
            open_browser):
    """One self-contained HTML page where a layer's sizes, output_padding, scatter and code change as you type.

    Without --in and --k the page opens on 4×4, k=3, s=2, p=1, op=1.
    Example: tconvcalc explore --in 3 --k 3 --s 2 -o explore.html
    """
    _check_output(output)
    if input_size is None and kernel_size is None:
        if (stride, padding, output_padding, dilation) != ((1,), (0,), (0,), (1,)):
            raise ParameterError("--s/--p/--op/--d given without --in and --k, they describe a layer; add --in and "
                                 "--k, e.g. --in 4 --k 3")
        input_size, kernel_size = FIRST_LAYER["input_size"], FIRST_LAYER["kernel_size"]
        stride, padding, output_padding = FIRST_LAYER["stride"], FIRST_LAYER["padding"], FIRST_LAYER["output_padding"]
    elif input_size is None or kernel_size is None:
        flag = "--in 4" if input_size is None else "--k 3"
        raise ParameterError(f"missing option {flag.split()[0]}, a layer needs both --in and --k; add it, e.g. {flag}")
    if output is None and not serve:
        raise ParameterError("no page to write, explore writes the page into -o FILE.html or serves it with --serve; "
                             "add -o explore.html")
    from ..explore import page_html

    page = page_html(layer_from(ndim, input_size, kernel_size, stride, padding, output_padding, dilation))
    if output is not None:
        announce(write_files({output: page}))
    if serve:
        _serve(page.encode("utf-8"), port, open_browser)
