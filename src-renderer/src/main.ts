import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router';
import { useNoticesStore } from './stores/notices';
import './styles/base.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(router);

// Last line of defence: nothing that throws is swallowed without the user seeing it.
const notices = useNoticesStore(pinia);
app.config.errorHandler = (error) => {
  console.error(error);
  notices.reportError('Unexpected error in the interface', error);
};
window.addEventListener('unhandledrejection', (e) => {
  notices.reportError('Unexpected error in the interface', e.reason);
});

app.mount('#app');
